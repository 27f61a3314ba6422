public import Reporting

/// What stops `dibkit diff` before it can compare: the input, never the images' contents.
public enum DiffError: ClassifiedError, CustomStringConvertible, Sendable, Equatable {
    /// `path` cannot be opened as an image (missing, a folder, unreadable, a broken qcow2 header).
    case badImage(path: String, reason: String)
    /// No filesystem of the image at `path` holds a root (`/etc`); `seen` lists what it holds, as `device (type)`.
    case noRootFilesystem(path: String, seen: [String])

    public var failureKind: FailureKind { .badInput }

    public var description: String {
        switch self {
        case .badImage(let path, let reason):
            return "cannot read \(path) as an image: \(reason); give a qcow2 or raw disk image such as `dibkit build` writes"
        case .noRootFilesystem(let path, let seen):
            let found = seen.isEmpty ? "no filesystem at all" : seen.joined(separator: ", ")
            return "\(path) holds no root filesystem (one that mounts and holds /etc): it holds \(found); "
                + "give an image of a whole system such as `dibkit build` writes"
        }
    }
}
