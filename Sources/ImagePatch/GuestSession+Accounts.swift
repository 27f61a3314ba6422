import Chroot
import Foundation
import Elements

/// Something the image lacks for a change.
enum MissingInImage: Error, CustomStringConvertible {
    /// No such user in `/etc/passwd`.
    case user(String)
    /// The user's home folder is not there.
    case home(String, user: String)

    var description: String {
        switch self {
        case .user(let user): "the image has no user '\(user)' in /etc/passwd"
        case .home(let home, let user): "the home folder \(home) of user '\(user)' does not exist in the image"
        }
    }
}

/// An account of the image's `/etc/passwd`.
struct GuestAccount {
    let uid: Int32
    let gid: Int32
    let home: String
}

extension GuestSession {
    /// The account `user` of the mounted root's `/etc/passwd`, if there is one.
    func account(named user: String) async throws -> GuestAccount? {
        let passwd = String(decoding: try await readFile("/etc/passwd"), as: UTF8.self)
        let fields = passwd.split(separator: "\n").map { $0.split(separator: ":", omittingEmptySubsequences: false) }
            .first { $0.count >= 7 && $0[0] == user }
        guard let fields, let uid = Int32(fields[2]), let gid = Int32(fields[3]) else { return nil }
        return GuestAccount(uid: uid, gid: gid, home: String(fields[5]))
    }

    /// Adds the keys `user` lacks to `~/.ssh/authorized_keys`: `.ssh` 0700, the file 0600, both the user's.
    /// - Throws: `MissingInImage` when the user or its home folder is missing.
    func authorize(_ keys: AuthorizedKeys, for user: String) async throws {
        guard let account = try await account(named: user) else {
            throw MissingInImage.user(user)
        }
        guard try await isDirectory(account.home) else {
            throw MissingInImage.home(account.home, user: user)
        }
        let folder = account.home + "/.ssh", file = folder + "/authorized_keys"
        if !(try await isDirectory(folder)) { try await makeDirectory(folder, mode: 0o700) }
        let existing = try await exists(file) ? String(decoding: try await readFile(file), as: UTF8.self) : ""
        let present = Set(existing.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) })
        let added = keys.lines.filter { !present.contains($0) }
        let separator = existing.isEmpty || existing.hasSuffix("\n") ? "" : "\n"
        try await write(Data((separator + added.map { $0 + "\n" }.joined()).utf8), to: file, append: true)
        for (path, mode) in [(folder, Int32(0o700)), (file, Int32(0o600))] {
            try await setOwner(user: account.uid, group: account.gid, of: path)
            try await setMode(mode, of: path)
        }
    }
}
