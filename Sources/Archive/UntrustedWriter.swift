internal import CArchive
internal import Foundation

/// Writes the entries of an untrusted archive beneath a root folder. Every entry's folder is opened through
/// `RootFolder` (the kernel resolves it beneath the root, so no link made before, by the archive or by
/// anyone, leads out), and the entry is made in it with the `*at` calls by its last name alone. Folders,
/// files, symbolic and hard links only; owners (numeric, when running as root), modes and modification
/// times are kept, extended attributes and ACLs are not. Folders get their mode and time at the end, so
/// that a read-only folder still takes its content. What it made is removed again by `removeMade` after a
/// failure, found by where the kernel says it made it (no link on the way).
final class UntrustedWriter {
    private let root: RootFolder
    private let archive: URL
    private let keepsOwners = geteuid() == 0
    /// Everything made, in order: its path from the root with no links on the way, and whether it is a folder.
    private var made: [(path: [String], folder: Bool)] = []
    /// Folders of the archive, with the metadata they get at the end.
    private var folders: [(path: [String], entry: String, owner: (uid_t, gid_t)?, mode: mode_t, modified: FileTime)] = []

    init(root: URL, archive: URL) throws {
        self.archive = archive
        do {
            self.root = try RootFolder(root)
        } catch {
            throw ArchiveError.extraction(archive: archive.lastPathComponent, entry: ".", call: error.call, message: "\(root.path): \(error.message)")
        }
    }

    /// Makes `entry`, reading a file's data through `reader`.
    /// - Throws: `ArchiveError.unsafeEntry` when its name or its way leads out of the root,
    ///   `ArchiveError.extraction` naming the call that failed, `ArchiveError.libarchive` for reading.
    func write(_ entry: ArchiveEntry, from reader: ArchiveReader) throws {
        do {
            try make(entry, from: reader)
        } catch let refusal as UntrustedTree.Refusal {
            throw ArchiveError.unsafeEntry(archive: archive.lastPathComponent, entry: entry.path, reason: refusal.reason)
        } catch let failure as SystemCallFailure {
            throw failure.leadsOutside
                ? ArchiveError.unsafeEntry(archive: archive.lastPathComponent, entry: entry.path, reason: "its way leads outside the destination")
                : ArchiveError.extraction(archive: archive.lastPathComponent, entry: entry.path, call: failure.call, message: failure.message)
        }
    }

    /// Gives the archive's folders their owners, modes and times, deepest first.
    func finish() throws {
        for folder in folders.reversed() {
            do {
                try root.open(folder.path[...], flags: O_RDONLY | O_DIRECTORY)
                    .setMetadata(owner: folder.owner, mode: folder.mode, modified: folder.modified)
            } catch {
                throw ArchiveError.extraction(archive: archive.lastPathComponent, entry: folder.entry, call: error.call, message: error.message)
            }
        }
    }

    /// Removes what was made, last first, as far as it can (a folder made before may have changed since).
    func removeMade() {
        for (path, folder) in made.reversed() {
            try? root.folder(path.dropLast()).remove(path[path.count - 1], folder: folder)
        }
    }

    private func make(_ entry: ArchiveEntry, from reader: ArchiveReader) throws {
        let path = try UntrustedTree.components(of: entry.path, entry: entry.path)
        guard let name = path.last else {
            // "./": the destination itself, which keeps its own owner and mode.
            guard entry.fileType == carchive_ifdir else { throw UntrustedTree.Refusal(entry: entry.path, reason: "names the archive's root itself") }
            return
        }
        let folder = try makingFolders(path.dropLast())
        let location = try root.components(of: folder)
        let owner = keepsOwners ? (uid_t(truncatingIfNeeded: entry.uid), gid_t(truncatingIfNeeded: entry.gid)) : nil
        if let target = entry.hardlinkTarget {
            let source = try UntrustedTree.components(of: target, entry: entry.path)
            guard let sourceName = source.last else { throw UntrustedTree.Refusal(entry: entry.path, reason: "hard link to the archive's root") }
            let sourceFolder = try root.folder(source.dropLast())
            try replacing(name, in: folder) { try folder.makeHardLink(name, to: sourceName, in: sourceFolder) }
            made.append((location + [name], false))
            return
        }
        switch entry.fileType {
        case carchive_ifdir:
            if try folder.makeFolder(name, mode: 0o700) {
                made.append((location + [name], true))
            } else {
                // Already there: it must be a folder, or a link to one beneath the root.
                _ = try root.folder(path[...])
            }
            folders.append((path, entry.path, owner, entry.permissions, entry.modified))
        case carchive_ifreg:
            let file = try replacing(name, in: folder) { try folder.makeFile(name) }
            made.append((location + [name], false))
            try reader.forEachDataBlock { block, offset in
                if !block.isEmpty { try file.write(block, at: offset) }
            }
            if let length = entry.size { try file.truncate(to: length) }
            try file.setMetadata(owner: owner, mode: entry.permissions, modified: entry.modified)
        case carchive_iflnk:
            let target = entry.symlinkTarget ?? ""
            try replacing(name, in: folder) { try folder.makeLink(name, to: target) }
            made.append((location + [name], false))
            try folder.setOwnerAndTime(of: name, owner: owner, modified: entry.modified)
        default:
            throw UntrustedTree.Refusal(entry: entry.path, reason: "unsupported file type")
        }
    }

    /// Opens the folder `path` beneath the root, making the missing folders at its end.
    private func makingFolders(_ path: ArraySlice<String>) throws(SystemCallFailure) -> Descriptor {
        var existing = path.endIndex
        var folder: Descriptor
        while true {
            do {
                folder = try root.folder(path[..<existing])
                break
            } catch where error.code == ENOENT && existing > path.startIndex {
                existing -= 1
            }
        }
        for index in existing..<path.endIndex {
            if try folder.makeFolder(path[index], mode: 0o755) {
                made.append((try root.components(of: folder) + [path[index]], true))
            }
            folder = try root.folder(path[...index])
        }
        return folder
    }

    /// Runs `make`; when `name` is already there (and not a folder), removes it and runs `make` again.
    @discardableResult
    private func replacing<T>(_ name: String, in folder: Descriptor, _ make: () throws -> T) throws -> T {
        do {
            return try make()
        } catch let failure as SystemCallFailure where failure.code == EEXIST {
            try folder.remove(name, folder: false)
            return try make()
        }
    }
}
