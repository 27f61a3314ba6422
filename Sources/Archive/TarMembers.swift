internal import CArchive
public import Foundation

/// One member of a tar archive as read, for looking at a small tree (an image's `/etc`) without extracting it.
public struct TarMember: Sendable, Equatable {
    /// What the member is.
    public enum Kind: Sendable, Equatable {
        /// A regular file and its whole contents; a hard link is given its target's contents.
        case file(Data)
        case folder
        case symbolicLink(target: String)
        /// A device node, FIFO or socket.
        case special
    }

    /// The path as stored, e.g. `./redis/redis.conf`.
    public let path: String
    public let kind: Kind
    /// The permission bits, set-id and sticky bits included.
    public let permissions: UInt16
    /// The numeric owner and group as stored (the names a tar may also hold are ignored).
    public let uid: Int64
    public let gid: Int64

    public init(path: String, kind: Kind, permissions: UInt16, uid: Int64, gid: Int64) {
        self.path = path
        self.kind = kind
        self.permissions = permissions
        self.uid = uid
        self.gid = gid
    }
}

extension TarArchive {
    /// Every member of `archive` in order, each file's contents read whole: meant for small trees.
    /// - Throws: `ArchiveError.libarchive` naming the libarchive call.
    public static func members(of archive: URL) throws -> [TarMember] {
        var members: [TarMember] = []
        var contents: [String: Data] = [:]
        try ArchiveReader(archive).forEachEntry { entry, reader in
            let kind: TarMember.Kind
            if let target = entry.hardlinkTarget {
                kind = .file(contents[target] ?? Data())
            } else {
                switch entry.fileType {
                case carchive_ifreg:
                    let data = try reader.readWhole(size: entry.size)
                    contents[entry.path] = data
                    kind = .file(data)
                case carchive_ifdir: kind = .folder
                case carchive_iflnk: kind = .symbolicLink(target: entry.symlinkTarget ?? "")
                default: kind = .special
                }
            }
            members.append(TarMember(
                path: entry.path, kind: kind, permissions: UInt16(entry.permissions), uid: entry.uid, gid: entry.gid))
        }
        return members
    }
}

extension ArchiveReader {
    /// The current entry's data, holes of a sparse file as zeros, padded to `size` when the archive gives one.
    fileprivate func readWhole(size: Int64?) throws -> Data {
        var data = Data()
        try forEachDataBlock { block, offset in
            if Int(offset) > data.count { data.append(Data(count: Int(offset) - data.count)) }
            data.append(contentsOf: block)
        }
        if let size, Int(size) > data.count { data.append(Data(count: Int(size) - data.count)) }
        return data
    }
}
