import Dispatch
import Foundation

/// Runs long work so that Ctrl-C (SIGINT) or SIGTERM cancels it and waits for its cleanup instead of
/// killing the process mid-way: temp folders are removed and child processes stopped before exit.
enum Interruption {
    /// Thrown when the user interrupted the work; maps to exit status 130.
    struct Interrupted: Error, CustomStringConvertible {
        var description: String { "interrupted; cleaned up" }
    }

    static func run<T: Sendable>(_ operation: @escaping @Sendable () async throws -> T) async throws -> T {
        let task = Task { try await operation() }
        let sources = [SIGINT, SIGTERM].map { number -> any DispatchSourceSignal in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { task.cancel() }
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
}
