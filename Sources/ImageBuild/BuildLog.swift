import DurableFiles
import Foundation
import Synchronization

/// The full output of one build's commands, kept under the cache so that an error can point to it.
/// Lines come from any thread; a write that fails (a full disk) is kept, not trapped on, and stops further
/// writes: `checkWritten()` throws it, so that the build fails naming the log and the cause.
final class BuildLog: Sendable {
    let url: URL
    private let state: Mutex<State>

    private struct State {
        var writer: FileWriter
        var failure: FileWriteError?
    }

    /// Opens `directory/NAME-STAMP.log`, making the folder.
    /// - Throws: `FileWriteError` (or Foundation's error for the folder) when the log cannot be made.
    init(directory: URL, name: String) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let stamp = Date().formatted(.iso8601.year().month().day().time(includingFractionalSeconds: false))
            .replacingOccurrences(of: ":", with: "")
        url = directory.appendingPathComponent("\(name)-\(stamp).log")
        state = Mutex(State(writer: try FileWriter(path: url.path, appending: true)))
    }

    /// Appends one line; after a failed write, nothing more.
    @Sendable func append(_ line: String) {
        state.withLock { state in
            guard state.failure == nil else { return }
            do throws(FileWriteError) { try state.writer.write(Data((line + "\n").utf8)) } catch { state.failure = error }
        }
    }

    /// Throws the error of the first write that failed, if one did.
    /// - Throws: `FileWriteError` naming the log (`.noSpace` when its filesystem is full).
    func checkWritten() throws {
        if let failure = state.withLock({ $0.failure }) { throw failure }
    }
}
