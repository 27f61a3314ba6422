// swift-tools-version: 6.1
// libFuzzer harnesses for QcowIO's parsers and Archive's untrusted tar extraction, a package of their own:
// they have no main (libFuzzer brings one), so they cannot be targets of the main package, whose every
// executable must link on its own. See scripts/fuzz-qcow and scripts/fuzz-tar.
import PackageDescription

let strictSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "DibkitFuzz",
    platforms: [.macOS(.v15)],
    dependencies: [.package(name: "dibkit", path: "..")],
    targets: [
        .executableTarget(name: "QcowFuzz", dependencies: [.product(name: "QcowIO", package: "dibkit")], swiftSettings: strictSettings),
        // libarchive's writer, which makes the harness's archives (dibkit's CArchive is no product).
        .systemLibrary(name: "CLibarchive", pkgConfig: "libarchive", providers: [.apt(["libarchive-dev"])]),
        .executableTarget(
            name: "TarFuzz", dependencies: ["CLibarchive", .product(name: "Archive", package: "dibkit")], swiftSettings: strictSettings),
    ]
)
