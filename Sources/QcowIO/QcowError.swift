/// What is wrong with an image file, and where.
public enum QcowError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The file could not be read.
    case unreadable(path: String, reason: String)
    /// A qcow2 structure is out of range: which field or table, its value, what is allowed.
    case malformed(path: String, field: String, reason: String)
    /// A qcow2 feature dibkit does not implement.
    case unsupported(path: String, feature: String)
    /// A system call on a file failed: which call, on which file, and the system's reason.
    case ioFailed(path: String, call: String, reason: String)
    /// What was asked cannot be done (an option out of range, an output that would overwrite its input).
    case invalidRequest(String)
    /// The image at `path` names a backing file it may not read without being told to trust it: why not.
    case backingRefused(path: String, backingFile: String, reason: String)

    public var description: String {
        switch self {
        case .unreadable(let path, let reason): return "cannot read \(path): \(reason)"
        case .malformed(let path, let field, let reason): return "\(path): not a valid qcow2 image: \(field) \(reason)"
        case .unsupported(let path, let feature): return "\(path): qcow2 feature not supported: \(feature)"
        case .ioFailed(let path, let call, let reason): return "\(call) on \(path) failed: \(reason)"
        case .invalidRequest(let reason): return reason
        case .backingRefused(let path, let backingFile, let reason):
            return "\(path): backing file '\(backingFile)' \(reason); dibkit reads only regular files inside the image's "
                + "folder unless told otherwise: pass --allow-backing if you trust the image and that file"
        }
    }
}
