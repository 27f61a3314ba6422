import Archive
import Chroot
import Foundation
import ImageContents

/// Reads one image's snapshot from its root, mounted in the appliance, in two calls: `/etc` as one tar
/// (streamed to a host file and read there: every name exact, contents hashed on the host) and dpkg's status
/// file. Reading `/etc` file by file would cost a round trip to the appliance for each of its ~800 entries.
struct SnapshotReader {
    let guest: GuestSession
    /// Where the root is mounted in the appliance, e.g. `/image1`.
    let mountpoint: String
    /// A host folder for the two files, removed by the caller.
    let folder: URL

    static let dpkgStatus = "/var/lib/dpkg/status"

    func read() async throws -> ImageSnapshot {
        let name = String(mountpoint.dropFirst())
        let tar = folder.appendingPathComponent("\(name)-etc.tar")
        try await guest.tarOut(mountpoint + "/etc", to: tar)
        var status: String?
        if try await guest.exists(mountpoint + Self.dpkgStatus) {
            let file = folder.appendingPathComponent("\(name)-dpkg-status")
            try await guest.download(mountpoint + Self.dpkgStatus, to: file)
            status = String(decoding: try Data(contentsOf: file), as: UTF8.self)
        }
        return ImageSnapshot(dpkgStatus: status, etc: try TarArchive.members(of: tar).compactMap(Self.etcFile))
    }

    /// A tar member as the `/etc` file it is (`./redis/redis.conf` → `/etc/redis/redis.conf`); nil for folders
    /// and special files.
    static func etcFile(_ member: TarMember) -> EtcFile? {
        let relative = member.path.hasPrefix("./") ? member.path.dropFirst(2) : Substring(member.path)
        let path = "/etc/" + relative
        let content: EtcFile.Content
        switch member.kind {
        case .file(let data): content = .regular(data)
        case .symbolicLink(let target): content = .symbolicLink(target: target)
        case .folder, .special: return nil
        }
        return EtcFile(path: path, content: content, permissions: member.permissions, uid: member.uid, gid: member.gid)
    }
}
