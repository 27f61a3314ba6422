public import Foundation

/// A user without privileges for the rootless tests, made once per machine (as root): a system account without
/// a home (each test gives it one through HOME) and 65,536 subordinate user and group ids, as an administrator
/// gives a build user.
public struct UnprivilegedUser: Sendable {
    public let name: String
    public let uid: uid_t
    public let gid: gid_t

    public init(name: String, uid: uid_t, gid: gid_t) {
        (self.name, self.uid, self.gid) = (name, uid, gid)
    }

    /// The test user, made if it is not there yet and given subordinate ids if it has none.
    /// - Throws: when `useradd` or `usermod` fail (they need root).
    public static func ensure(name: String = "dibkit-rootless", subordinateIDs: ClosedRange<Int> = 300_000...365_535) throws -> Self {
        if getpwnam(name) == nil {
            try run(["useradd", "--system", "--user-group", "--shell", "/bin/sh", "--home-dir", "/nonexistent", name])
        }
        let range = "\(subordinateIDs.lowerBound)-\(subordinateIDs.upperBound)"
        for (file, option) in [("/etc/subuid", "--add-subuids"), ("/etc/subgid", "--add-subgids")] {
            let lines = ((try? String(contentsOfFile: file, encoding: .utf8)) ?? "").split(separator: "\n")
            if !lines.contains(where: { $0.hasPrefix("\(name):") }) { try run(["usermod", option, range, name]) }
        }
        guard let entry = getpwnam(name) else { throw UserError(message: "\(name) is not in the user database after useradd") }
        return Self(name: name, uid: entry.pointee.pw_uid, gid: entry.pointee.pw_gid)
    }

    /// `arguments` run as this user with a login's clean environment (`setpriv --reset-env`: its own PATH,
    /// without /usr/sbin) plus `environment`.
    public func command(_ arguments: [String], environment: [String: String]) -> [String] {
        ["setpriv", "--reuid=\(uid)", "--regid=\(gid)", "--init-groups", "--reset-env", "--", "/usr/bin/env"]
            + environment.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" } + arguments
    }

    /// Hands `url` (and everything below it) to this user.
    public func own(_ url: URL) throws {
        try Self.run(["chown", "-R", "\(uid):\(gid)", url.path])
    }

    private static func run(_ arguments: [String]) throws {
        let result = try runCommand(arguments)
        guard result.status == 0 else {
            throw UserError(message: "\(arguments.joined(separator: " ")) exited \(result.status): \(result.output)")
        }
    }

    struct UserError: Error, CustomStringConvertible {
        let message: String
        var description: String { message }
    }
}
