import Elements
import Foundation
import Pipeline
import Testing

extension Tag {
    /// Slow tests that build real images (mmdebstrap, chroot, libguestfs) and boot them under qemu.
    @Tag static var endToEnd: Self
}

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

    init() throws {
        folder = URL(fileURLWithPath: "/var/tmp/dibkit-tests-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: temporary, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: images, withIntermediateDirectories: true)
    }

    func remove() { try? FileManager.default.removeItem(at: folder) }

    /// The cache shared by every test run on this machine (base roots, packages).
    static var cache: URL {
        URL(fileURLWithPath: ProcessInfo.processInfo.environment["DIBKIT_CACHE_DIR"] ?? (NSHomeDirectory() + "/.cache/dibkit"))
    }

    func configuration(_ elements: [String], name: String) throws -> BuildConfiguration {
        let sources = AptSources.host(release: "bookworm")
        let mirror = try #require(sources.mirror, "the host's apt sources name no bookworm mirror")
        var configuration = BuildConfiguration(
            elements: elements, mirror: mirror,
            output: BuildConfiguration.outputURL(name: name, database: elements[0], source: "test", format: .qcow2, imagesDirectory: images),
            cacheDirectory: Self.cache,
            elementSearchPath: [Self.fixtureElements, try BuiltInElements.directory()],
            temporaryDirectory: temporary)
        configuration.securityMirror = sources.securityMirror
        return configuration
    }

    /// Names of whatever is left in the temp folder.
    var leftovers: [String] { (try? FileManager.default.contentsOfDirectory(atPath: temporary.path)) ?? [] }
}

/// Collects build events for assertions.
final class EventLog: Sendable {
    private let lock = NSLock()
    nonisolated(unsafe) private var events: [BuildEvent] = []
    private let onEvent: (@Sendable (BuildEvent) -> Void)?

    /// - Parameter onEvent: also called with each event as it comes.
    init(onEvent: (@Sendable (BuildEvent) -> Void)? = nil) { self.onEvent = onEvent }

    func record(_ event: BuildEvent) {
        lock.withLock { events.append(event) }
        onEvent?(event)
    }

    var finishedSteps: [String] {
        lock.withLock { events.compactMap { if case .stepFinished(let name, _) = $0 { name } else { nil } } }
    }
}

/// Runs `script` with bash and returns its standard output (its exit status is the caller's to check
/// through the output).
func shell(_ script: String) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/bash")
    process.arguments = ["-c", script]
    let pipe = Pipe()
    process.standardOutput = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return String(decoding: data, as: UTF8.self)
}
