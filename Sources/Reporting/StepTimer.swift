import Synchronization

/// Times named steps, reports their start and end as `ProgressEvent`s, and keeps their seconds in order.
public final class StepTimer: Sendable {
    /// One finished step.
    public struct Timing: Sendable, Equatable {
        public let name: String
        public let seconds: Double
    }

    /// Where the steps' events go; also for events between steps.
    public let progress: ProgressHandler
    private let finished = Mutex<[Timing]>([])

    public init(progress: @escaping ProgressHandler) { self.progress = progress }

    /// Runs `body` as step `name`: reports its start (with `detail`) and end, and records its seconds.
    public func time<T>(_ name: String, detail: String? = nil, _ body: () async throws -> T) async rethrows -> T {
        let start = self.start(name, detail: detail)
        let result = try await body()
        finish(name, startedAt: start)
        return result
    }

    /// Starts a step whose end is marked elsewhere (`finish`), for work that no closure brackets.
    public func start(_ name: String, detail: String? = nil) -> ContinuousClock.Instant {
        progress(.stepStarted(name, detail: detail))
        return .now
    }

    /// Ends a step begun with `start`.
    public func finish(_ name: String, startedAt start: ContinuousClock.Instant) {
        let seconds = (ContinuousClock.now - start).inSeconds
        finished.withLock { $0.append(Timing(name: name, seconds: seconds)) }
        progress(.stepFinished(name, seconds: seconds))
    }

    /// The finished steps, in the order they ended.
    public var timings: [Timing] { finished.withLock { $0 } }

    /// Seconds per step name, a name that ran more than once summed.
    public var secondsByStep: [String: Double] {
        timings.reduce(into: [:]) { $0[$1.name, default: 0] += $1.seconds }
    }
}
