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
        .library(name: "Elements", targets: ["Elements"]),
        .library(name: "Chroot", targets: ["Chroot"]),
        .library(name: "Pipeline", targets: ["Pipeline"]),
        .library(name: "CloudHTTP", targets: ["CloudHTTP"]),
        .library(name: "Cloud", targets: ["Cloud"]),
        .library(name: "Flavors", targets: ["Flavors"]),
        .library(name: "OpenStack", targets: ["OpenStack"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
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
        // openat2(2), which glibc does not wrap: Chroot extracts untrusted archives through it.
        .systemLibrary(name: "COpenat2"),

        // Image formats: qcow2 v2/v3 and raw, read/write/convert/check. Knows nothing of elements.
        .target(name: "QcowIO", dependencies: ["CZlib", "CZstd"], swiftSettings: strictSettings),
        // Element model, loading, resolution, phase plan, version tables. Knows nothing of libguestfs.
        .target(
            name: "Elements",
            dependencies: [.product(name: "Yams", package: "Yams")],
            swiftSettings: strictSettings),
        // Database flavors: the predefined sizes per database and the user's changes to them.
        .target(name: "Flavors", dependencies: [.product(name: "Yams", package: "Yams")], swiftSettings: strictSettings),
        // OpenStack clients: clouds.yaml and OS_* credentials, Keystone v3, Nova flavors, Glance image upload.
        // Knows nothing of builds; reads images through QcowIO.
        .target(
            name: "OpenStack",
            dependencies: [
                "QcowIO", "CloudHTTP",
                .product(name: "Yams", package: "Yams"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strictSettings),
        // A session in an image's root: host namespace chroot or libguestfs; tar in/out; KVM probe.
        .target(
            name: "Chroot",
            dependencies: ["CGuestfs", "CArchive", "COpenat2", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strictSettings),
        // Boots an image under qemu with a NoCloud seed and checks the database from the host.
        .target(
            name: "BootCheck",
            dependencies: [
                "Chroot", .product(name: "Logging", package: "swift-log"), .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: strictSettings),
        // The build, wired: elements → base root → phases → disk → image → manifest.
        .target(
            name: "Pipeline",
            dependencies: [
                "Elements", "Chroot", "QcowIO", "BootCheck",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strictSettings),
        // The one HTTP client of every cloud: AsyncHTTPClient with retries, backoff and secret redaction;
        // reading the file an upload sends.
        .target(
            name: "CloudHTTP",
            dependencies: [
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: strictSettings),
        // DigitalOcean: S3 multipart with SigV4 (Spaces), the DigitalOcean API and its custom-image upload.
        // Knows nothing of how images are built; reads them through QcowIO.
        .target(
            name: "Cloud",
            dependencies: [
                "QcowIO", "CloudHTTP",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strictSettings),
        // The command line: parsing, progress, exit codes. Thin.
        .executableTarget(
            name: "dibkit",
            dependencies: [
                "Pipeline", "QcowIO", "Elements", "BootCheck", "Chroot", "CloudHTTP", "Cloud", "Flavors", "OpenStack",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings),

        // Servers the cloud tests talk to: moto's S3 with signature checks and a DigitalOcean API that checks
        // request bodies against the official schemas (Python, in a venv made by scripts/setup-test-venv).
        .target(
            name: "TestServers", path: "Tests/TestServers", exclude: ["python", "digitalocean-openapi"],
            swiftSettings: strictSettings),
        .testTarget(
            name: "CloudTests",
            dependencies: ["Cloud", "CloudHTTP", "QcowIO", "TestServers", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: strictSettings),
        .testTarget(name: "FlavorsTests", dependencies: ["Flavors"], swiftSettings: strictSettings),
        .testTarget(
            name: "OpenStackTests",
            dependencies: [
                "OpenStack", "CloudHTTP", "QcowIO", "TestServers", "dibkit", "Pipeline",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            resources: [.copy("Fixtures")],
            swiftSettings: strictSettings),
        .testTarget(name: "QcowIOTests", dependencies: ["QcowIO"], swiftSettings: strictSettings),
        .testTarget(
            name: "ElementsTests", dependencies: ["Elements"], exclude: ["Fixtures", "FixturesOverride"],
            swiftSettings: strictSettings),
        .testTarget(name: "ElementContentTests", dependencies: [], swiftSettings: strictSettings),
        .testTarget(name: "ChrootTests", dependencies: ["Chroot"], swiftSettings: strictSettings),
        .testTarget(name: "BootCheckTests", dependencies: ["BootCheck"], swiftSettings: strictSettings),
        .testTarget(
            name: "PipelineTests", dependencies: ["Pipeline", "Elements", "Chroot", "BootCheck", "QcowIO"], exclude: ["Fixtures"],
            swiftSettings: strictSettings),
        .testTarget(
            name: "DibkitTests",
            dependencies: [
                "dibkit", "Pipeline", "Cloud", "CloudHTTP", "OpenStack", "TestServers",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strictSettings),
    ]
)

