import Dispatch
import Foundation
import Synchronization

/// Runs long work so that Ctrl-C (SIGINT) or SIGTERM cancels it and waits for its cleanup instead of
/// killing the process mid-way: temp folders are removed and child processes stopped before exit.
///
/// The wait is bounded: a cleanup that needs a cloud which does not answer (deleting an unfinished image)
/// is abandoned after `cleanupSeconds`, and a second signal ends dibkit at once; either way the exit status is
/// 130, a line on standard error says what was abandoned, and the programs dibkit started die with it
/// (`ProcessSpawner`'s parent-death signal).
enum Interruption {
    /// Thrown when the user interrupted the work; maps to exit status 130.
    struct Interrupted: Error, CustomStringConvertible {
        var description: String { "interrupted; cleaned up" }
    }

    /// How long the cleanup may take after the first signal: with the exit itself, within 10 s.
    static let cleanupSeconds = 8

    static func run<T: Sendable>(_ operation: @escaping @Sendable () async throws -> T) async throws -> T {
        let task = Task { try await operation() }
        let signalled = Signalled()
        let sources = [SIGINT, SIGTERM].map { number -> any DispatchSourceSignal in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                guard !signalled.first.exchange(true, ordering: .relaxed) else {
                    abandon("a second signal")
                }
                task.cancel()
                DispatchQueue.global().asyncAfter(deadline: .now() + .seconds(cleanupSeconds)) {
                    abandon("it took more than \(cleanupSeconds) s")
                }
            }
            source.resume()
            return source
        }
        defer {
            sources.forEach { $0.cancel() }
            signal(SIGINT, SIG_DFL)
            signal(SIGTERM, SIG_DFL)
        }
        do {
            return try await task.value
        } catch where task.isCancelled {
            throw Interrupted()
        }
    }

    /// Whether a signal came already.
    private final class Signalled: Sendable {
        let first = Atomic<Bool>(false)
    }

    /// Ends dibkit with 130 now, the cleanup unfinished.
    private static func abandon(_ why: String) -> Never {
        let line = "error: interrupted; the cleanup was abandoned (\(why)): anything it had not removed yet is left, "
            + "as the lines above say\n"
        FileHandle.standardError.write(Data(line.utf8))
        _exit(130)
    }
}
