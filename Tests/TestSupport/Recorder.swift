import Synchronization

/// Collects values from callbacks that may run on any thread.
public final class Recorder<Value: Sendable>: Sendable {
    private let values = Mutex<[Value]>([])

    public init() {}

    public func append(_ value: Value) { values.withLock { $0.append(value) } }

    public var all: [Value] { values.withLock { $0 } }
}
