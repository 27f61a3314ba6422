import DurableFiles
import Foundation

/// A tar kept in the build cache with its SHA-256 beside it (in `sha256sum`'s format, so `sha256sum -c` reads
/// it), written once the tar is in place and checked before each use: a tar cut short or damaged is never used.
struct CachedTar: Sendable {
    let tarball: URL

    /// The tar's SHA-256, in `sha256sum`'s format.
    var checksumFile: URL { tarball.appendingPathExtension("sha256") }

    /// Whether the tar is there and its bytes match its checksum; one that fails is removed, said in `note`
    /// with `what` naming it ("the cached base root").
    func isIntact(_ what: String, note: (String) -> Void) throws -> Bool {
        guard FileManager.default.fileExists(atPath: tarball.path) else { return false }
        guard let problem = try verify(what) else { return true }
        note(problem)
        return false
    }

    /// What is wrong with the tar, which is there, said of `what`; nil when its bytes match its checksum. A tar
    /// that fails is removed.
    func verify(_ what: String) throws -> String? {
        let recorded = (try? String(contentsOf: checksumFile, encoding: .utf8))?.split(separator: " ").first.map(String.init)
        if let recorded, recorded == (try sha256(of: tarball)) { return nil }
        remove()
        return recorded == nil
            ? "\(what) \(tarball.path) has no checksum beside it (cut short, or from an older dibkit); making it again"
            : "\(what) \(tarball.path) does not match its checksum (damaged); making it again"
    }

    /// Has `make` write the tar at a temporary name beside its place, then publishes it, then its checksum.
    func fill(publisher: FilePublisher, _ make: (URL) async throws -> Void) async throws {
        let folder = tarball.deletingLastPathComponent()
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let partial = folder.appendingPathComponent(".\(tarball.lastPathComponent).\(getpid()).partial.tar")
        defer { try? FileManager.default.removeItem(at: partial) }
        try await make(partial)
        let checksum = try sha256(of: partial)
        try publisher.publish(partial, as: tarball)
        try publisher.write(Data("\(checksum)  \(tarball.lastPathComponent)\n".utf8), to: checksumFile)
    }

    /// Removes the checksum, then the tar (a tar without a checksum is never used).
    func remove() {
        for url in [checksumFile, tarball] { try? FileManager.default.removeItem(at: url) }
    }
}
