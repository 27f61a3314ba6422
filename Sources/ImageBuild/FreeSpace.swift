import Foundation
import Reporting

/// The free space a build needs, checked before it writes anything: apt and dpkg do not always fail cleanly on
/// a full disk (apt's `update` was seen waiting for ever on a method that hit `ENOSPC`), so a build that
/// cannot fit stops at once, naming the folder, its free space and the need.
enum FreeSpace {
    /// What one folder must hold.
    struct Need {
        let folder: URL
        let bytes: UInt64
        let what: String
    }

    /// What `configuration` needs: the root tree, raw disk and staged image in the work folder, the image at
    /// its output, the base root, packages and (incremental builds) the installed tree in the cache.
    static func needs(of configuration: BuildConfiguration) -> [Need] {
        [
            Need(folder: configuration.temporaryDirectory, bytes: 1536 << 20, what: "the root tree and its raw disk"),
            Need(folder: configuration.output.deletingLastPathComponent(), bytes: 512 << 20, what: "the image"),
            Need(folder: configuration.cacheDirectory, bytes: 768 << 20, what: "the base root and packages"),
        ] + (configuration.incremental
            ? [Need(folder: configuration.cacheDirectory, bytes: 512 << 20, what: "the installed tree")] : [])
    }

    /// Throws when a filesystem has less free space than the needs of the folders on it together.
    /// - Throws: `BuildError.notEnoughSpace` naming the first folder on that filesystem.
    static func check(_ needs: [Need]) throws {
        var filesystems: [UInt: (free: UInt64, needs: [Need])] = [:]
        var order: [UInt] = []
        for need in needs {
            guard let (id, free) = filesystem(holding: need.folder) else { continue }
            if filesystems[id] == nil { order.append(id) }
            filesystems[id, default: (free, [])].needs.append(need)
        }
        for id in order {
            guard let (free, needs) = filesystems[id] else { continue }
            let total = needs.map(\.bytes).reduce(0, +)
            if free < total {
                throw BuildError.notEnoughSpace(
                    path: needs[0].folder.path, free: free, needed: total, what: needs.map(\.what).joined(separator: ", "))
            }
        }
    }

    /// The filesystem id and free bytes (for an unprivileged user) of the nearest existing folder at or above `folder`.
    private static func filesystem(holding folder: URL) -> (UInt, UInt64)? {
        var path = folder.standardizedFileURL.path
        var info = statvfs()
        while statvfs(path, &info) != 0 {
            guard path != "/" else { return nil }
            path = (path as NSString).deletingLastPathComponent
        }
        return (UInt(info.f_fsid), UInt64(info.f_bavail) * UInt64(info.f_frsize))
    }
}
