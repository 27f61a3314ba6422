/// What kind of failure an error is, which decides dibkit's exit status: every command fails the same way.
public enum FailureKind: Sendable, Equatable {
    /// The input was wrong (an option, a file, an element): exit 2, nothing was changed.
    case badInput
    /// The work failed: exit 1.
    case failed
    /// The user interrupted the work (Ctrl-C, SIGTERM) and it was cleaned up: exit 130.
    case interrupted

    /// The process exit status for this kind.
    public var exitStatus: Int32 {
        switch self {
        case .badInput: 2
        case .failed: 1
        case .interrupted: 130
        }
    }
}

/// An error that knows its `FailureKind`. Errors that do not conform count as `.failed`.
public protocol ClassifiedError: Error {
    var failureKind: FailureKind { get }
}

/// The kind of `error`: its own for a `ClassifiedError`, `.interrupted` for a `CancellationError`, else `.failed`.
public func failureKind(of error: any Error) -> FailureKind {
    switch error {
    case let classified as any ClassifiedError: classified.failureKind
    case is CancellationError: .interrupted
    default: .failed
    }
}
