import Elements
import Foundation
import ImageBuild
import TestSupport
import Testing

/// Every test that builds or boots a real image, run one at a time: each one wants both cores and a
/// libguestfs appliance or a qemu guest of its own.
@Suite("End to end: real builds and boots", .tags(.endToEnd), .serialized)
struct EndToEnd {}

/// A build set-up for tests: its own temp and output folders, the shared cache (so a second build is warm).
struct BuildFixture {
    let folder: URL
    var temporary: URL { folder.appendingPathComponent("tmp") }
    var images: URL { folder.appendingPathComponent("images") }

    static let fixtureElements = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/elements")

    /// - Parameter folder: where the build's temp and output folders go; a fresh one under /var/tmp by default.
    init(folder: URL = URL(fileURLWithPath: "/var/tmp/dibkit-tests-\(UUID().uuidString.prefix(8))")) throws {
        self.folder = folder
        try FileManager.default.createDirectory(at: temporary, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: images, withIntermediateDirectories: true)
    }

    func remove() { try? FileManager.default.removeItem(at: folder) }

    /// The cache shared by every test run on this machine (base roots, packages).
    static var cache: URL {
        URL(fileURLWithPath: ProcessInfo.processInfo.environment["DIBKIT_CACHE_DIR"] ?? (NSHomeDirectory() + "/.cache/dibkit"))
    }

    /// A build of `elements` for `release` from the host's mirror (whatever suites the host lists).
    func configuration(
        _ elements: [String], name: String, release: String = BuildConfiguration.defaultRelease
    ) throws -> BuildConfiguration {
        let sources = AptSources.host(release: release)
        let mirror = try #require(sources.mirror, "the host's apt sources name no Debian mirror")
        var configuration = BuildConfiguration(
            elements: elements, mirror: mirror,
            output: BuildConfiguration.outputURL(name: name, database: elements[0], source: "test", format: .qcow2, imagesDirectory: images),
            cacheDirectory: Self.cache,
            elementSearchPath: [Self.fixtureElements, try BuiltInElements.directory()],
            temporaryDirectory: temporary)
        configuration.securityMirror = Distribution.unstableReleases.contains(release) ? nil : sources.securityMirror
        configuration.release = release
        return configuration
    }

    /// Names of whatever is left in the temp folder.
    var leftovers: [String] { (try? FileManager.default.contentsOfDirectory(atPath: temporary.path)) ?? [] }
}
