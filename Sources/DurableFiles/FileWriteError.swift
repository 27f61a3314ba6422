public import Reporting
import Glibc

/// A file that could not be written, flushed or put in place: which file, which call, and why.
public enum FileWriteError: ClassifiedError, CustomStringConvertible, Sendable, Equatable {
    /// The filesystem holding `path` is full (`ENOSPC`) or the user's quota is used up (`EDQUOT`).
    case noSpace(path: String, call: String)
    /// Any other failure of `call` on `path`, with the system's reason.
    case failed(path: String, call: String, reason: String)

    /// The error for `errno` of `call` on `path`.
    public init(path: String, call: String, errno: Errno) {
        switch errno.code {
        case ENOSPC, EDQUOT: self = .noSpace(path: path, call: call)
        default: self = .failed(path: path, call: call, reason: errno.description)
        }
    }

    /// A full disk or a failed write is not the user's input: the work failed.
    public var failureKind: FailureKind { .failed }

    public var description: String {
        switch self {
        case .noSpace(let path, let call):
            return "cannot write \(path): no space left on its filesystem (\(call)); "
                + "free space there, or point dibkit at another folder, and run again"
        case .failed(let path, let call, let reason):
            return "cannot write \(path): \(call) failed: \(reason)"
        }
    }
}
