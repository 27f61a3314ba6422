// swift-tools-version: 6.1
import PackageDescription

let strictSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "dibkit",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "dibkit", targets: ["dibkit"]),
        .library(name: "QcowIO", targets: ["QcowIO"]),
        .library(name: "Archive", targets: ["Archive"]),
        .library(name: "Elements", targets: ["Elements"]),
        .library(name: "ImageBuild", targets: ["ImageBuild"]),
        .library(name: "ImagePatch", targets: ["ImagePatch"]),
        .library(name: "ImageDiff", targets: ["ImageDiff"]),
        .library(name: "BootCheck", targets: ["BootCheck"]),
        .library(name: "UploadWorkflows", targets: ["UploadWorkflows"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
    ],
    targets: [
        // C libraries, exposed through module maps and pkg-config only.
        // libguestfs is not linked: Chroot loads it on first use (see CGuestfs/shim.h), so only its header is needed.
        .systemLibrary(name: "CGuestfs", providers: [.apt(["libguestfs-dev"])]),
        .systemLibrary(name: "CArchive", pkgConfig: "libarchive", providers: [.apt(["libarchive-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"])]),
        // openat2(2), which glibc does not wrap: Archive extracts untrusted archives through it.
        .systemLibrary(name: "COpenat2"),

        // What every layer reports: progress events and step timing, the failure kinds behind exit codes,
        // the image manifest (the build's record that test and upload read), dibkit's version. A leaf.
        .target(name: "Reporting", swiftSettings: strictSettings),

        // Writing files so that a crash or a full disk never leaves part of one under its name: flushed
        // before the rename that publishes it; every write throws an error naming the file and the cause.
        .target(name: "DurableFiles", dependencies: ["Reporting"], swiftSettings: strictSettings),
        // Debian's deb822 control format (apt's sources, Packages indexes, dpkg's status, copyright files). A leaf.
        .target(name: "DebianControl", swiftSettings: strictSettings),

        // Domain targets. Each knows its one job and nothing of the workflows above it.
        // Image formats: qcow2 v2/v3 and raw, read/write/convert/check. Knows nothing of elements.
        .target(name: "QcowIO", dependencies: ["CZlib", "CZstd", "DurableFiles", "Reporting"], swiftSettings: strictSettings),
        // Element model, loading, resolution, phase plan, version tables, the keys -k bakes in.
        .target(
            name: "Elements", dependencies: ["DurableFiles", "Reporting", .product(name: "Yams", package: "Yams")],
            swiftSettings: strictSettings),
        // Database flavors: the predefined sizes per database and the user's changes to them.
        .target(
            name: "Flavors", dependencies: ["DurableFiles", "Reporting", .product(name: "Yams", package: "Yams")],
            swiftSettings: strictSettings),
        // YAML that may hold secrets (clouds.yaml, user-data): a syntax error names the line, never quotes it.
        .target(name: "PrivateYAML", dependencies: [.product(name: "Yams", package: "Yams")], swiftSettings: strictSettings),
        // Programs on the host: run to completion with captured output, or kept running (qemu); the KVM probe;
        // files that hold secrets, created 0600 and never through a link.
        .target(name: "HostProcesses", dependencies: ["Reporting"], swiftSettings: strictSettings),
        // Tar archives in and out through libarchive; untrusted ones extracted beneath their root only.
        .target(name: "Archive", dependencies: ["CArchive", "COpenat2", "Reporting"], swiftSettings: strictSettings),
        // A session in an image's root: the host namespace chroot over a tree, or libguestfs over a disk file.
        .target(name: "Chroot", dependencies: ["CGuestfs", "HostProcesses", "Reporting"], swiftSettings: strictSettings),
        // What an image holds, read from its files: installed packages, /etc, enabled services, open firewall
        // ports (nftables); and what differs between two. Pure Swift: no image is opened here.
        .target(
            name: "ImageContents", dependencies: ["DebianControl", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: strictSettings),
        // Boots an image under qemu with a NoCloud seed and checks the database from the host.
        .target(
            name: "BootCheck",
            dependencies: ["HostProcesses", "QcowIO", "PrivateYAML", "Reporting"],
            swiftSettings: strictSettings),
        // The one HTTP client of every cloud: AsyncHTTPClient with retries, backoff and secret redaction;
        // reading the file an upload sends.
        .target(
            name: "CloudHTTP",
            dependencies: [
                "Reporting",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: strictSettings),
        // S3 with SigV4: the bucket checks and multipart upload DigitalOcean Spaces needs.
        .target(
            name: "S3",
            dependencies: [
                "CloudHTTP",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strictSettings),
        // DigitalOcean: its API and the custom-image upload (staged in a Space). Reads images through QcowIO.
        .target(
            name: "DigitalOcean",
            dependencies: [
                "CloudHTTP", "S3", "QcowIO", "Reporting",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: strictSettings),
        // OpenStack: clouds.yaml and OS_* credentials, Keystone v3, Nova flavors and keypairs, Glance upload,
        // Trove datastore versions. Reads images through QcowIO.
        .target(
            name: "OpenStack",
            dependencies: [
                "CloudHTTP", "HostProcesses", "QcowIO", "PrivateYAML", "Reporting",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strictSettings),

        // The software bill of materials of an image's root tree: the packages dpkg installed, with the licenses
        // their copyright files declare, as an SPDX 2.3 document.
        .target(
            name: "SBOM", dependencies: ["DebianControl", "Reporting", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: strictSettings),

        // Workflows: each command's work, wired from the domain targets, with no command-line parsing.
        // The build, step by step: elements → base root → phases → packages → disk → image → manifest and SBOM.
        .target(
            name: "ImageBuild",
            dependencies: [
                "Elements", "Chroot", "Archive", "DebianControl", "DurableFiles", "HostProcesses", "QcowIO", "Reporting", "SBOM",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strictSettings),
        // Changes to a built image through libguestfs, all or nothing: `patch` and upload's per-cloud touches.
        .target(
            name: "ImagePatch", dependencies: ["Chroot", "DurableFiles", "Elements", "HostProcesses", "QcowIO", "Reporting"],
            swiftSettings: strictSettings),
        // `diff`: two images read-only in one libguestfs appliance, their contents compared.
        .target(
            name: "ImageDiff", dependencies: ["Chroot", "Archive", "ImageContents", "HostProcesses", "QcowIO", "Reporting"],
            swiftSettings: strictSettings),
        // The uploads: the request from the options and the manifest, the per-cloud touches and Trove around
        // the Glance upload, the user-data and droplet command DigitalOcean's result comes with.
        .target(
            name: "UploadWorkflows",
            dependencies: ["DigitalOcean", "S3", "OpenStack", "ImagePatch", "Elements", "HostProcesses", "CloudHTTP", "Reporting"],
            swiftSettings: strictSettings),
        // The command line: parsing, one call into a workflow, printing, exit codes. Thin.
        .executableTarget(
            name: "dibkit",
            dependencies: [
                "ImageBuild", "Chroot", "ImagePatch", "ImageDiff", "ImageContents", "BootCheck", "UploadWorkflows", "QcowIO", "Elements", "Flavors",
                "OpenStack", "DigitalOcean", "CloudHTTP", "Reporting",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strictSettings),

        // What the tests share: temporary folders, process and binary runners, free ports, the Python servers
        // (moto's S3, a DigitalOcean API checking the official schemas, Keystone and Glance, a Nova/Trove
        // stand-in), the database servers, the tags. Python venv: scripts/setup-test-venv.
        .target(
            name: "TestSupport", dependencies: ["DurableFiles", "Reporting"], path: "Tests/TestSupport",
            exclude: ["python", "digitalocean-openapi"],
            swiftSettings: strictSettings),
        .testTarget(name: "ReportingTests", dependencies: ["Reporting"], swiftSettings: strictSettings),
        .testTarget(name: "SBOMTests", dependencies: ["SBOM", "TestSupport"], swiftSettings: strictSettings),
        .testTarget(name: "DurableFilesTests", dependencies: ["DurableFiles", "TestSupport"], swiftSettings: strictSettings),
        .testTarget(name: "QcowIOTests", dependencies: ["QcowIO", "DurableFiles", "TestSupport"], swiftSettings: strictSettings),
        .testTarget(
            name: "ElementsTests", dependencies: ["Elements", "TestSupport"], exclude: ["Fixtures", "FixturesOverride"],
            swiftSettings: strictSettings),
        .testTarget(name: "ElementContentTests", dependencies: ["HostProcesses", "TestSupport"], swiftSettings: strictSettings),
        .testTarget(name: "FlavorsTests", dependencies: ["Flavors", "DurableFiles", "Reporting", "TestSupport"], swiftSettings: strictSettings),
        .testTarget(name: "HostProcessesTests", dependencies: ["HostProcesses", "TestSupport"], swiftSettings: strictSettings),
        .testTarget(name: "ArchiveTests", dependencies: ["Archive", "TestSupport"], swiftSettings: strictSettings),
        .testTarget(name: "ChrootTests", dependencies: ["Chroot", "HostProcesses", "TestSupport"], swiftSettings: strictSettings),
        .testTarget(
            name: "BootCheckTests", dependencies: ["BootCheck", "HostProcesses", "QcowIO", "Reporting", "TestSupport"], swiftSettings: strictSettings),
        .testTarget(name: "CloudHTTPTests", dependencies: ["CloudHTTP"], swiftSettings: strictSettings),
        .testTarget(
            name: "S3Tests",
            dependencies: ["S3", "CloudHTTP", "TestSupport", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: strictSettings),
        .testTarget(
            name: "DigitalOceanTests", dependencies: ["DigitalOcean", "S3", "CloudHTTP", "Reporting", "TestSupport"],
            swiftSettings: strictSettings),
        .testTarget(
            name: "OpenStackTests",
            dependencies: [
                "OpenStack", "CloudHTTP", "Reporting", "TestSupport",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strictSettings),
        .testTarget(
            name: "ImageBuildTests",
            dependencies: [
                "ImageBuild", "Elements", "HostProcesses", "Chroot", "BootCheck", "DurableFiles", "QcowIO", "Reporting", "SBOM",
                "TestSupport",
            ],
            exclude: ["Fixtures"], swiftSettings: strictSettings),
        .testTarget(
            name: "ImagePatchTests",
            dependencies: ["ImagePatch", "Chroot", "Elements", "HostProcesses", "QcowIO", "Reporting", "TestSupport"],
            swiftSettings: strictSettings),
        .testTarget(name: "ImageContentsTests", dependencies: ["ImageContents", "TestSupport"], swiftSettings: strictSettings),
        .testTarget(
            name: "ImageDiffTests", dependencies: ["ImageDiff", "ImageContents", "HostProcesses", "QcowIO", "TestSupport"],
            swiftSettings: strictSettings),
        .testTarget(
            name: "UploadWorkflowsTests",
            dependencies: ["UploadWorkflows", "OpenStack", "DigitalOcean", "ImagePatch", "Reporting", "TestSupport"],
            swiftSettings: strictSettings),
        // The command line, through the built binary only.
        .testTarget(
            name: "DibkitTests", dependencies: ["QcowIO", "TestSupport"], swiftSettings: strictSettings),
    ]
)
