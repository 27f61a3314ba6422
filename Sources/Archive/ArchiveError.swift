public import Reporting

/// What can go wrong reading or extracting an archive.
public enum ArchiveError: ClassifiedError, CustomStringConvertible, Sendable, Equatable {
    /// A libarchive call failed while reading `archive`.
    case libarchive(archive: String, call: String, message: String)
    /// An archive entry was refused (absolute path, `..`, a link leaving the tree, a device node…).
    case unsafeEntry(archive: String, entry: String, reason: String)
    /// Writing an entry of an untrusted archive failed; `call` names the system call.
    case extraction(archive: String, entry: String, call: String, message: String)

    /// A refused entry is the user's input; a failing libarchive call is not.
    public var failureKind: FailureKind {
        if case .unsafeEntry = self { return .badInput }
        return .failed
    }

    public var description: String {
        switch self {
        case .libarchive(let archive, let call, let message):
            return "reading \(archive): \(call) failed: \(message)"
        case .unsafeEntry(let archive, let entry, let reason):
            return "\(archive): refused entry '\(entry)': \(reason); nothing was extracted"
        case .extraction(let archive, let entry, let call, let message):
            return "\(archive): extracting '\(entry)' failed: \(call): \(message); nothing was left behind"
        }
    }
}
