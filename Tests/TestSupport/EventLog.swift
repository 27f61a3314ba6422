public import Reporting
import Synchronization

/// Collects the progress events of a build, patch, test or upload for assertions.
public final class EventLog: Sendable {
    private let events = Mutex<[ProgressEvent]>([])
    private let onEvent: ProgressHandler?

    /// - Parameter onEvent: also called with each event as it comes.
    public init(onEvent: ProgressHandler? = nil) { self.onEvent = onEvent }

    /// Records `event`; pass as a `ProgressHandler`.
    @Sendable public func record(_ event: ProgressEvent) {
        events.withLock { $0.append(event) }
        onEvent?(event)
    }

    /// Every event so far, in order.
    public var all: [ProgressEvent] { events.withLock { $0 } }

    /// The notes, in order.
    public var notes: [String] {
        all.compactMap { if case .note(let text) = $0 { text } else { nil } }
    }

    /// The names of the steps that finished, in order.
    public var finishedSteps: [String] {
        all.compactMap { if case .stepFinished(let name, _) = $0 { name } else { nil } }
    }
}
