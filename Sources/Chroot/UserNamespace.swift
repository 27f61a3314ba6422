public import Foundation
public import Reporting

/// An unprivileged build: dibkit runs itself again as root of a user namespace that maps the user to root and
/// the user's subordinate ids (`/etc/subuid`, `/etc/subgid`) to ids 1–65536, the way podman and mmdebstrap's
/// unshare mode do. Inside it every step works as it does for root: files belong to the ids the image needs
/// (`redis`'s files to `redis`), mounts stay in namespaces the build makes, and nothing is owned on the host
/// by any id but the user's and its subordinates.
public enum UserNamespace {
    /// Set in the environment of the dibkit that runs inside the namespace.
    public static let marker = "DIBKIT_USER_NAMESPACE"
    /// The ids a root tree uses (0–65535; `nobody` is 65534); the user's ranges must hold that many.
    static let idsNeeded = 65_536

    /// Whether this process must enter a user namespace before it builds: it is not root and not already in
    /// one dibkit entered.
    public static func isNeeded(environment: [String: String]) -> Bool {
        geteuid() != 0 && environment[marker] == nil
    }

    /// Replaces this process with dibkit run with the same arguments inside a new user namespace
    /// (`unshare --map-auto --map-root-user`): same process id, same process group, so Ctrl-C and the exit
    /// status work as before. Returns only by throwing.
    /// - Throws: `UserNamespaceError` saying what the machine or the user lacks and how to give it.
    public static func reenter(arguments: [String], environment: [String: String]) throws -> Never {
        try checkPrerequisites()
        guard let executable = Bundle.main.executablePath else {
            throw UserNamespaceError(reason: "dibkit could not find its own executable to run it again")
        }
        let command = ["/usr/bin/unshare", "--map-auto", "--map-root-user", "--", executable] + arguments.dropFirst()
        var inside = environment
        inside[marker] = "1"
        inside["PATH"] = pathWithAdministrationTools(environment["PATH"])
        let argv = command.map { strdup($0) } + [nil]
        let envp = inside.map { strdup("\($0.key)=\($0.value)") } + [nil]
        execve(command[0], argv, envp)
        throw UserNamespaceError(reason: "running \(command[0]) failed: \(String(cString: strerror(errno)))")
    }

    /// `path` with the folders of root's tools (mkfs.ext4, debugfs, mkfs.fat) added where missing: a user's
    /// PATH seldom has them, and inside the namespace dibkit runs them as root does.
    static func pathWithAdministrationTools(_ path: String?) -> String {
        var folders = (path ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":").map(String.init)
        for folder in ["/usr/local/sbin", "/usr/sbin", "/sbin"] where !folders.contains(folder) { folders.append(folder) }
        return folders.joined(separator: ":")
    }

    /// Checks what `unshare --map-auto` needs: user namespaces allowed, newuidmap and newgidmap installed, and
    /// 65,536 subordinate user and group ids for this user.
    static func checkPrerequisites() throws {
        if let allowed = try? String(contentsOfFile: "/proc/sys/kernel/unprivileged_userns_clone", encoding: .utf8),
           allowed.trimmingCharacters(in: .whitespacesAndNewlines) == "0" {
            throw UserNamespaceError(reason: "this kernel does not let users make user namespaces "
                + "(kernel.unprivileged_userns_clone = 0): as root, `sysctl -w kernel.unprivileged_userns_clone=1`")
        }
        for tool in ["/usr/bin/newuidmap", "/usr/bin/newgidmap"] where !FileManager.default.isExecutableFile(atPath: tool) {
            throw UserNamespaceError(reason: "\(tool) is not installed: as root, `apt-get install -y uidmap`")
        }
        let uid = getuid()
        let name = getpwuid(uid).map { String(cString: $0.pointee.pw_name) } ?? "\(uid)"
        for file in ["/etc/subuid", "/etc/subgid"] {
            let text = (try? String(contentsOfFile: file, encoding: .utf8)) ?? ""
            let count = subordinateIDs(of: name, uid: uid, in: text)
            guard (count ?? 0) >= idsNeeded else {
                throw UserNamespaceError(reason: "\(file) gives \(name) "
                    + "\(count.map { "only \($0)" } ?? "no") subordinate ids, "
                    + "and a root tree needs \(idsNeeded): as root, "
                    + "`usermod --add-subuids 100000-165535 --add-subgids 100000-165535 \(name)` "
                    + "(any free range of \(idsNeeded))")
            }
        }
    }

    /// The size of the first range `/etc/subuid` or `/etc/subgid` text gives a user (by name or by id), which
    /// is the one `unshare --map-auto` maps; nil when it gives none.
    static func subordinateIDs(of name: String, uid: uid_t, in text: String) -> Int? {
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: ":", omittingEmptySubsequences: false)
            guard fields.count == 3, fields[0] == name || fields[0] == "\(uid)" else { continue }
            return Int(fields[2])
        }
        return nil
    }
}

/// An unprivileged build cannot enter its user namespace; `reason` says why and what to do.
public struct UserNamespaceError: ClassifiedError, CustomStringConvertible, Sendable {
    public let reason: String
    public var failureKind: FailureKind { .failed }
    public var description: String { "dibkit build runs as root or, for another user, in a user namespace: \(reason)" }
}
