internal import Synchronization

/// Set once when the work should stop; polled by synchronous code between chunks.
final class CancellationFlag: Sendable {
    private let cancelled = Atomic<Bool>(false)

    func cancel() { cancelled.store(true, ordering: .relaxed) }

    /// Throws `CancellationError` once cancelled.
    func check() throws {
        if cancelled.load(ordering: .relaxed) { throw CancellationError() }
    }
}
