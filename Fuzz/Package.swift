// swift-tools-version: 6.1
// libFuzzer harness for QcowIO's parsers, a package of its own: it has no main (libFuzzer brings one), so
// it cannot be a target of the main package, whose every executable must link on its own. See scripts/fuzz-qcow.
import PackageDescription

let package = Package(
    name: "QcowFuzz",
    platforms: [.macOS(.v15)],
    dependencies: [.package(name: "dibkit", path: "..")],
    targets: [
        .executableTarget(
            name: "QcowFuzz",
            dependencies: [.product(name: "QcowIO", package: "dibkit")],
            swiftSettings: [
                .swiftLanguageMode(.v6),
                .enableUpcomingFeature("ExistentialAny"),
                .enableUpcomingFeature("MemberImportVisibility"),
                .enableUpcomingFeature("InternalImportsByDefault"),
            ])
    ]
)
