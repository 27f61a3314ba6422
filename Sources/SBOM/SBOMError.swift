public import Reporting

/// What keeps the SBOM of an image from being made.
public enum SBOMError: ClassifiedError, CustomStringConvertible, Sendable, Equatable {
    /// dpkg's status file of the root tree could not be read.
    case unreadableStatus(path: String, reason: String)

    public var failureKind: FailureKind { .failed }

    public var description: String {
        switch self {
        case .unreadableStatus(let path, let reason):
            "cannot read dpkg's status file \(path), which the SBOM and the manifest list the packages from: \(reason)"
        }
    }
}
