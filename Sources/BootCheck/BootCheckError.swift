public import Reporting

/// What went wrong while booting and checking an image.
public enum BootCheckError: ClassifiedError, CustomStringConvertible, Sendable, Equatable {
    /// The image file is missing or unreadable.
    case imageUnreadable(path: String, cause: String)
    /// A helper tool (qemu-img, cloud-localds, qemu) failed or is missing.
    case toolFailed(tool: String, message: String)
    /// The user-data file could not be read or lacks the database settings.
    case badUserData(path: String, message: String)
    /// The database kind could not be decided, or is not one dibkit can check.
    case unknownDatabase(String)
    /// The guest failed to boot (qemu exited, a kernel panic, emergency mode) or the database never answered.
    case bootFailed(reason: String, consoleTail: String)
    /// The database answered but a check failed.
    case checkFailed(check: String, reason: String, consoleTail: String)

    /// What was given is wrong (the image, the user-data, the database): exit 2; the rest failed: exit 1.
    public var failureKind: FailureKind {
        switch self {
        case .imageUnreadable, .badUserData, .unknownDatabase: .badInput
        case .toolFailed, .bootFailed, .checkFailed: .failed
        }
    }

    /// The last lines of the serial console, when the error carries them.
    public var consoleTail: String? {
        switch self {
        case .bootFailed(_, let tail), .checkFailed(_, _, let tail): tail
        default: nil
        }
    }

    /// The reason in one line, without the console tail.
    public var reason: String {
        switch self {
        case .imageUnreadable(let path, let cause):
            "cannot read the image \(path): \(cause); pass the path of a built .qcow2 or .raw image"
        case .toolFailed(let tool, let message):
            "\(tool) failed: \(message)"
        case .badUserData(let path, let message):
            "user-data \(path): \(message)"
        case .unknownDatabase(let message):
            message
        case .bootFailed(let reason, _):
            reason
        case .checkFailed(let check, let reason, _):
            "check '\(check)' failed: \(reason)"
        }
    }

    public var description: String {
        guard let tail = consoleTail else { return reason }
        let shown = tail.isEmpty ? "(the serial console is empty)" : tail
        return "\(reason)\n--- last lines of the serial console ---\n\(shown)"
    }
}
