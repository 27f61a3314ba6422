public import Reporting

/// What can go wrong running a host program.
public enum ProcessError: ClassifiedError, CustomStringConvertible, Sendable, Equatable {
    /// A command exited non-zero; `outputTail` holds its last lines (stdout and stderr interleaved).
    case commandFailed(label: String, status: Int32, outputTail: [String])
    /// A program could not be started, or a short tool failed or did not finish in time.
    case toolFailed(tool: String, message: String)
    /// The work was cancelled (Ctrl-C); the process was stopped.
    case cancelled

    public var failureKind: FailureKind { self == .cancelled ? .interrupted : .failed }

    public var description: String {
        switch self {
        case .commandFailed(let label, let status, let tail):
            let shown = tail.isEmpty ? "  (no output)" : tail.map { "  | \($0)" }.joined(separator: "\n")
            return "\(label) failed with exit status \(status); its last output:\n\(shown)"
        case .toolFailed(let tool, let message):
            return "\(tool) failed: \(message)"
        case .cancelled:
            return "cancelled; started processes were stopped and temporary files removed"
        }
    }
}
