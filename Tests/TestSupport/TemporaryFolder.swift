public import Foundation

/// A temporary folder, removed with everything in it when the fixture is released.
public final class TemporaryFolder: @unchecked Sendable {
    public let url: URL

    /// Makes `TMPDIR/dibkit-test-XXXXXXXX` (or under `parent`).
    public init(in parent: URL = FileManager.default.temporaryDirectory) throws {
        url = parent.appendingPathComponent("dibkit-test-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    /// A path inside the folder.
    public func appendingPathComponent(_ name: String) -> URL { url.appendingPathComponent(name) }
}
