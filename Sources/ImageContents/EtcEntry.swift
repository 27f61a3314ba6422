import Crypto
public import Foundation

/// A regular file or symlink under an image's `/etc` as read from the image: what a snapshot is made of.
public struct EtcFile: Sendable, Equatable {
    /// What the path holds.
    public enum Content: Sendable, Equatable {
        case regular(Data)
        case symbolicLink(target: String)
    }

    /// Absolute, e.g. `/etc/redis/redis.conf`.
    public let path: String
    public let content: Content
    /// The permission bits, set-id and sticky bits included.
    public let permissions: UInt16
    /// The numeric owner and group, as the image stores them.
    public let uid: Int64
    public let gid: Int64

    public init(path: String, content: Content, permissions: UInt16, uid: Int64 = 0, gid: Int64 = 0) {
        self.path = path
        self.content = content
        self.permissions = permissions
        self.uid = uid
        self.gid = gid
    }
}

/// A file or symlink under `/etc` as a snapshot keeps it: a digest of what it holds (or where it points),
/// its mode and its owner.
public struct EtcEntry: Sendable, Codable, Equatable {
    public enum Kind: String, Sendable, Codable {
        case file
        case symlink
    }

    public var kind: Kind
    /// A file's SHA-256 in hex, or a symlink's target.
    public var content: String
    /// The permission bits in octal, e.g. `0644` (`0777` for every symlink: Linux ignores a link's mode).
    public var mode: String
    /// `user:group` by the image's own `/etc/passwd` and `/etc/group`; numbers where they name nobody.
    public var owner: String

    public init(kind: Kind, content: String, mode: String, owner: String) {
        self.kind = kind
        self.content = content
        self.mode = mode
        self.owner = owner
    }

    init(_ file: EtcFile, owners: OwnerNames) {
        switch file.content {
        case .regular(let data):
            kind = .file
            content = SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
        case .symbolicLink(let target):
            kind = .symlink
            content = target
        }
        mode = String(format: "%04o", kind == .symlink ? 0o777 : file.permissions & 0o7777)
        owner = owners.owner(uid: file.uid, gid: file.gid)
    }
}

/// The user and group names an image's `/etc/passwd` and `/etc/group` give to numeric ids.
struct OwnerNames {
    private let users: [Int64: String]
    private let groups: [Int64: String]

    init(_ files: [EtcFile]) {
        users = Self.names(in: files.first { $0.path == "/etc/passwd" })
        groups = Self.names(in: files.first { $0.path == "/etc/group" })
    }

    /// `user:group`, each a name when the image has one for the id, else the number.
    func owner(uid: Int64, gid: Int64) -> String {
        "\(users[uid] ?? String(uid)):\(groups[gid] ?? String(gid))"
    }

    /// id → name from `name:password:id:…` lines; the first name of an id wins, as getpwuid's does.
    private static func names(in file: EtcFile?) -> [Int64: String] {
        guard case .regular(let data) = file?.content else { return [:] }
        var names: [Int64: String] = [:]
        for line in String(decoding: data, as: UTF8.self).split(separator: "\n") {
            let fields = line.split(separator: ":", omittingEmptySubsequences: false)
            guard fields.count > 2, let id = Int64(fields[2]), names[id] == nil else { continue }
            names[id] = String(fields[0])
        }
        return names
    }
}
