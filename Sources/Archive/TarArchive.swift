internal import CArchive
public import Foundation

/// Reads tar archives (any compression libarchive knows) and extracts them onto disk.
///
/// Wraps one `struct archive *` reader per pass; every libarchive error names the call that failed.
public enum TarArchive {
    /// How much an archive is trusted.
    public enum Trust: Sendable {
        /// dibkit's own cache: everything is extracted as is (owners, modes, xattrs, device nodes).
        case trusted
        /// A user's tarball: absolute paths, `..`, links that leave the tree and device nodes are refused,
        /// all checked before anything is written.
        case untrusted
    }

    /// Extracts `archive` into `directory`, which must exist.
    /// - Returns: the number of entries extracted.
    /// - Throws: `ArchiveError.libarchive` naming the libarchive call, `ArchiveError.unsafeEntry`.
    @discardableResult
    public static func extract(_ archive: URL, into directory: URL, trust: Trust) throws -> Int {
        if trust == .untrusted { try checkUntrusted(archive) }
        let writer = try DiskWriter(root: directory, archive: archive)
        var count = 0
        try ArchiveReader(archive).forEachEntry { entry, reader in
            try writer.write(entry, from: reader)
            count += 1
        }
        return count
    }

    /// Checks every entry of `archive` as `.untrusted` extraction does, writing nothing.
    /// - Throws: `ArchiveError.unsafeEntry` naming the first refused entry, `ArchiveError.libarchive`.
    public static func checkUntrusted(_ archive: URL) throws {
        try ArchiveReader(archive).forEachEntry { entry, _ in try checkSafe(entry, archive: archive) }
    }

    /// Lists the entry paths of `archive`, as stored.
    public static func entries(of archive: URL) throws -> [String] {
        var paths: [String] = []
        try ArchiveReader(archive).forEachEntry { entry, _ in paths.append(entry.path) }
        return paths
    }

    private static func checkSafe(_ entry: ArchiveEntry, archive: URL) throws {
        let refuse = { (reason: String) in
            ArchiveError.unsafeEntry(archive: archive.lastPathComponent, entry: entry.path, reason: reason)
        }
        if entry.path.hasPrefix("/") { throw refuse("absolute path") }
        if escapes(entry.path) { throw refuse("path leaves the archive's root through '..'") }
        if let target = entry.hardlinkTarget {
            if target.hasPrefix("/") || escapes(target) { throw refuse("hard link to '\(target)' points outside the archive") }
            return
        }
        switch entry.fileType {
        case carchive_ifchr, carchive_ifblk: throw refuse("device node")
        case carchive_ifreg, carchive_ifdir, carchive_iflnk, carchive_ififo: break
        default: throw refuse("unsupported file type")
        }
        if let target = entry.symlinkTarget {
            let parent = (entry.path as NSString).deletingLastPathComponent
            if target.hasPrefix("/") || escapes(parent.isEmpty ? target : parent + "/" + target) {
                throw refuse("symbolic link to '\(target)' points outside the archive")
            }
        }
    }

    /// Whether a relative path climbs above its starting folder.
    static func escapes(_ path: String) -> Bool {
        var depth = 0
        for component in path.split(separator: "/") {
            switch component {
            case ".": continue
            case "..": depth -= 1
            default: depth += 1
            }
            if depth < 0 { return true }
        }
        return false
    }
}

/// The parts of an `archive_entry` dibkit looks at.
struct ArchiveEntry {
    let pointer: OpaquePointer
    var path: String { archive_entry_pathname(pointer).map { String(cString: $0) } ?? "" }
    var fileType: UInt32 { UInt32(archive_entry_filetype(pointer)) }
    var symlinkTarget: String? { archive_entry_symlink(pointer).map { String(cString: $0) } }
    var hardlinkTarget: String? { archive_entry_hardlink(pointer).map { String(cString: $0) } }
}

/// Owns one libarchive reader (`archive_read_new`).
final class ArchiveReader {
    let pointer: OpaquePointer
    private let name: String

    init(_ url: URL) throws {
        guard let pointer = archive_read_new() else {
            throw ArchiveError.libarchive(archive: url.path, call: "archive_read_new", message: "out of memory")
        }
        self.pointer = pointer
        name = url.path
        archive_read_support_filter_all(pointer)
        archive_read_support_format_all(pointer)
        try check(archive_read_open_filename(pointer, url.path, 1 << 20), "archive_read_open_filename")
    }

    deinit { archive_read_free(pointer) }

    func check(_ rc: Int32, _ call: String) throws {
        guard rc < ARCHIVE_WARN else { return }
        let message = archive_error_string(pointer).map { String(cString: $0) } ?? "error \(rc)"
        throw ArchiveError.libarchive(archive: name, call: call, message: message)
    }

    /// Calls `body` for each entry; `body` may read the entry's data through the reader.
    func forEachEntry(_ body: (ArchiveEntry, ArchiveReader) throws -> Void) throws {
        var entry: OpaquePointer?
        while true {
            let rc = archive_read_next_header(pointer, &entry)
            if rc == ARCHIVE_EOF { return }
            try check(rc, "archive_read_next_header")
            guard let entry else { return }
            try body(ArchiveEntry(pointer: entry), self)
        }
    }
}

/// Owns one libarchive disk writer (`archive_write_disk_new`) rooted at a folder.
private final class DiskWriter {
    private let pointer: OpaquePointer
    private let root: String
    private let name: String

    init(root: URL, archive: URL) throws {
        guard let pointer = archive_write_disk_new() else {
            throw ArchiveError.libarchive(archive: archive.path, call: "archive_write_disk_new", message: "out of memory")
        }
        self.pointer = pointer
        self.root = root.path
        name = archive.path
        let options = ARCHIVE_EXTRACT_OWNER | ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_XATTR
            | ARCHIVE_EXTRACT_ACL | ARCHIVE_EXTRACT_FFLAGS | ARCHIVE_EXTRACT_SECURE_NODOTDOT
        archive_write_disk_set_options(pointer, options)
        archive_write_disk_set_standard_lookup(pointer)
    }

    deinit { archive_write_free(pointer) }

    private func check(_ rc: Int32, _ call: String) throws {
        guard rc < ARCHIVE_WARN else { return }
        let message = archive_error_string(pointer).map { String(cString: $0) } ?? "error \(rc)"
        throw ArchiveError.libarchive(archive: name, call: call, message: message)
    }

    func write(_ entry: ArchiveEntry, from reader: ArchiveReader) throws {
        archive_entry_set_pathname(entry.pointer, rooted(entry.path))
        if let target = entry.hardlinkTarget { archive_entry_set_hardlink(entry.pointer, rooted(target)) }
        try check(archive_write_header(pointer, entry.pointer), "archive_write_header")
        var buffer: UnsafeRawPointer?
        var size = 0
        var offset: la_int64_t = 0
        while true {
            let rc = archive_read_data_block(reader.pointer, &buffer, &size, &offset)
            if rc == ARCHIVE_EOF { break }
            try reader.check(rc, "archive_read_data_block")
            let written = archive_write_data_block(pointer, buffer, size, offset)
            try check(Int32(truncatingIfNeeded: written < 0 ? Int(written) : 0), "archive_write_data_block")
        }
        try check(archive_write_finish_entry(pointer), "archive_write_finish_entry")
    }

    private func rooted(_ path: String) -> String {
        var relative = Substring(path)
        while relative.hasPrefix("/") || relative.hasPrefix("./") { relative = relative.hasPrefix("/") ? relative.dropFirst() : relative.dropFirst(2) }
        return relative.isEmpty || relative == "." ? root : root + "/" + relative
    }
}
