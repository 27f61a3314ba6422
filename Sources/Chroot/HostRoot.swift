public import Foundation
public import HostProcesses

/// A root file tree on the host, entered with `chroot` inside fresh mount and PID namespaces.
///
/// Every command runs under `unshare --mount --pid --fork --kill-child`: `/proc`, `/sys`, `/dev` and any
/// extra bind mounts exist only inside that namespace, so they vanish with the command — also when it
/// fails or is killed — and no process it started can outlive it. This is how diskimage-builder and mkosi
/// run element phases, at native speed; it needs root (or a user namespace).
public struct HostRoot: Sendable {
    /// A host folder bind-mounted into the root for the duration of each command.
    public struct BindMount: Sendable {
        public let source: URL
        /// Absolute path inside the root, e.g. `/tmp/in_target.d`.
        public let target: String
        public init(source: URL, target: String) {
            self.source = source
            self.target = target
        }
    }

    /// The root's path on the host.
    public let path: URL
    /// Bind mounts added to every command.
    public let mounts: [BindMount]

    public init(path: URL, mounts: [BindMount] = []) {
        self.path = path
        self.mounts = mounts
    }

    /// Runs `script` with bash inside the root.
    ///
    /// The environment is the child processes' own, from `unshare` to bash, and never a command-line argument:
    /// values such as a password stay out of `ps` and `/proc/PID/cmdline`, which every user can read. The host
    /// side therefore names its programs by absolute path rather than by the root's `PATH`.
    /// - Parameters:
    ///   - script: bash source, run with `set -eu -o pipefail` unless it sets otherwise.
    ///   - environment: the complete environment inside the root (nothing is inherited from the host).
    ///   - label: how errors name this step.
    ///   - log: receives every output line.
    /// - Throws: `ProcessError.commandFailed` with the tail of the output, `ChrootError.cancelled`.
    @discardableResult
    public func run(
        _ script: String, environment: [String: String], label: String,
        log: (@Sendable (String) -> Void)? = nil
    ) async throws -> CommandOutput {
        // The root is "$1": a shell variable of the setup could be one of the environment's names.
        var setup = [
            "set -e",
            "/usr/bin/mount -t proc proc \"$1/proc\"",
            "/usr/bin/mount --rbind /sys \"$1/sys\"",
            "/usr/bin/mount --rbind /dev \"$1/dev\"",
        ]
        for mount in mounts {
            let target = "\"$1\"\(shellQuote(mount.target))"
            setup.append("/usr/bin/mkdir -p \(target)")
            setup.append("/usr/bin/mount --bind \(shellQuote(mount.source.path)) \(target)")
        }
        setup.append("exec /usr/sbin/chroot \"$1\" /bin/bash -c \(shellQuote("set -eu -o pipefail\n" + script))")
        return try await CommandRunner.run(
            Self.isolated(["/bin/sh", "-c", setup.joined(separator: "\n"), "sh", path.path]),
            environment: environment, label: label, log: log)
    }

    /// `arguments` as a command run in fresh mount and PID namespaces (`unshare --mount --pid --fork
    /// --kill-child`, mounts private): what it mounts exists only there, and every process it starts dies when
    /// it ends or is killed, which a process that forks and mounts on the host (mmdebstrap) does not promise.
    public static func isolated(_ arguments: [String]) -> [String] {
        ["/usr/bin/unshare", "--mount", "--pid", "--fork", "--kill-child", "--propagation", "private"] + arguments
    }
}
