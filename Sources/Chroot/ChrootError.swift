import Foundation
public import HostProcesses
public import Reporting

/// What can go wrong inside an image's root, with what to do about it.
public enum ChrootError: ClassifiedError, CustomStringConvertible, Sendable, Equatable {
    /// A program dibkit needs is not on this machine.
    case toolMissing(String, package: String)
    /// A libguestfs call failed; `call` names the C function.
    /// `applianceDied`: the appliance went away during the call; `consoleTail` is the end of its console then.
    case guestfs(call: String, message: String, applianceDied: Bool = false, consoleTail: [String] = [])
    /// No filesystem of the image holds a root (`/etc`); `seen` lists what was found, as `device (type)`.
    case noRootFilesystem(seen: [String])
    /// The appliance did not come up within `limit` under `accelerator`; it was killed.
    case launchTimedOut(accelerator: Accelerator, limit: Duration)
    /// The work was cancelled (Ctrl-C); everything started was stopped and removed.
    case cancelled

    public var failureKind: FailureKind { self == .cancelled ? .interrupted : .failed }

    /// True when a libguestfs call failed because the appliance went away.
    public var applianceDied: Bool {
        if case .guestfs(_, _, let died, _) = self { return died }
        return false
    }

    /// True when the appliance did not launch: it died, qemu refused to start, or it did not come up in time.
    public var isLaunchFailure: Bool {
        switch self {
        case .launchTimedOut: true
        case .guestfs(let call, _, _, _): call == "guestfs_launch"
        default: false
        }
    }

    /// Why a launch failed, in a few words, for the line that says it is tried again.
    var launchFailure: String {
        switch self {
        case .launchTimedOut(_, let limit): "it did not come up within \(String(format: "%g", limit.inSeconds)) s"
        case .guestfs(_, let message, _, _): message
        default: description
        }
    }

    public var description: String {
        switch self {
        case .toolMissing(let tool, let package):
            return "\(tool) is not installed: install it with `apt-get install -y \(package)` (or run scripts/setup)"
        case .guestfs(let call, let message, let died, let console):
            guard died else { return "libguestfs \(call) failed: \(message)" }
            let tail = console.isEmpty ? "  (nothing)" : console.map { "  | \($0)" }.joined(separator: "\n")
            return "libguestfs \(call) failed: the appliance died (\(message)); the end of its console:\n\(tail)"
        case .noRootFilesystem(let seen):
            let found = seen.isEmpty ? "no filesystem at all" : seen.joined(separator: ", ")
            return "found no root filesystem (one that mounts and holds /etc) in the image; it holds: \(found)"
        case .launchTimedOut(let accelerator, let limit):
            return "the libguestfs appliance did not come up within \(String(format: "%g", limit.inSeconds)) s under "
                + "\(accelerator.rawValue.uppercased()) "
                + "and was stopped; under TCG a launch takes 10–40 s, more on a busy machine: try again when it is "
                + "quieter, or run `libguestfs-test-tool` to see where the appliance stops"
        case .cancelled:
            return "cancelled; started processes were stopped and temporary files removed"
        }
    }
}
