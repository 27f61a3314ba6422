/// What can go wrong inside an image's root, with what to do about it.
public enum ChrootError: Error, CustomStringConvertible, Sendable, Equatable {
    /// A command exited non-zero; `outputTail` holds its last lines (stdout and stderr interleaved).
    case commandFailed(label: String, status: Int32, outputTail: [String])
    /// A program dibkit needs is not on this machine.
    case toolMissing(String, package: String)
    /// A libguestfs call failed; `call` names the C function.
    /// `applianceDied`: the appliance went away during the call; `consoleTail` is the end of its console then.
    case guestfs(call: String, message: String, applianceDied: Bool = false, consoleTail: [String] = [])
    /// A libarchive call failed while reading `archive`.
    case archive(archive: String, call: String, message: String)
    /// An archive entry was refused (absolute path, `..`, a link leaving the tree, a device node…).
    case unsafeArchiveEntry(archive: String, entry: String, reason: String)
    /// Writing an entry of an untrusted archive failed; `call` names the system call.
    case extraction(archive: String, entry: String, call: String, message: String)
    /// No filesystem of the image holds a root (`/etc`); `seen` lists what was found, as `device (type)`.
    case noRootFilesystem(seen: [String])
    /// The work was cancelled (Ctrl-C); everything started was stopped and removed.
    case cancelled

    /// True when the input was at fault (a refused archive entry), not the machine.
    public var isBadInput: Bool {
        if case .unsafeArchiveEntry = self { return true }
        return false
    }

    /// True when a libguestfs call failed because the appliance went away.
    public var applianceDied: Bool {
        if case .guestfs(_, _, let died, _) = self { return died }
        return false
    }

    public var description: String {
        switch self {
        case .commandFailed(let label, let status, let tail):
            let shown = tail.isEmpty ? "  (no output)" : tail.map { "  | \($0)" }.joined(separator: "\n")
            return "\(label) failed with exit status \(status); its last output:\n\(shown)"
        case .toolMissing(let tool, let package):
            return "\(tool) is not installed: install it with `apt-get install -y \(package)` (or run scripts/setup)"
        case .guestfs(let call, let message, let died, let console):
            guard died else { return "libguestfs \(call) failed: \(message)" }
            let tail = console.isEmpty ? "  (nothing)" : console.map { "  | \($0)" }.joined(separator: "\n")
            return "libguestfs \(call) failed: the appliance died (\(message)); the end of its console:\n\(tail)"
        case .archive(let archive, let call, let message):
            return "reading \(archive): \(call) failed: \(message)"
        case .unsafeArchiveEntry(let archive, let entry, let reason):
            return "\(archive): refused entry '\(entry)': \(reason); nothing was extracted"
        case .extraction(let archive, let entry, let call, let message):
            return "\(archive): extracting '\(entry)' failed: \(call): \(message); nothing was left behind"
        case .noRootFilesystem(let seen):
            let found = seen.isEmpty ? "no filesystem at all" : seen.joined(separator: ", ")
            return "found no root filesystem (one that mounts and holds /etc) in the image; it holds: \(found)"
        case .cancelled:
            return "cancelled; started processes were stopped and temporary files removed"
        }
    }
}
