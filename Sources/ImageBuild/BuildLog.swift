import Foundation

/// The full output of one build's commands, kept under the cache so that an error can point to it.
final class BuildLog: Sendable {
    let url: URL
    private let handle: FileHandle
    private let lock = NSLock()

    init(directory: URL, name: String) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let stamp = Date().formatted(.iso8601.year().month().day().time(includingFractionalSeconds: false))
            .replacingOccurrences(of: ":", with: "")
        url = directory.appendingPathComponent("\(name)-\(stamp).log")
        FileManager.default.createFile(atPath: url.path, contents: nil)
        handle = try FileHandle(forWritingTo: url)
    }

    deinit { try? handle.close() }

    /// Appends one line.
    @Sendable func append(_ line: String) {
        lock.withLock { handle.write(Data((line + "\n").utf8)) }
    }
}
