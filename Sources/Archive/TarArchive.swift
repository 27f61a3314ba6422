internal import CArchive
public import Foundation

/// Reads tar archives (any compression libarchive knows) and extracts them onto disk.
///
/// Wraps one `struct archive *` reader per pass; every libarchive error names the call that failed.
public enum TarArchive {
    /// How much an archive is trusted.
    public enum Trust: Sendable {
        /// dibkit's own cache: everything is extracted as is (owners, modes, xattrs) but device nodes, which are
        /// left out.
        case trusted
        /// A user's tarball: absolute paths, `..`, links that lead out of the tree (alone or chained),
        /// device nodes and other special files are refused, all checked before anything is written; and
        /// every entry is written through a folder the kernel resolved beneath the destination.
        case untrusted
    }

    /// Extracts `archive` into `directory`, which must exist.
    /// - Returns: the number of entries extracted.
    /// - Throws: `ArchiveError.libarchive` naming the libarchive call, `ArchiveError.unsafeEntry`,
    ///   `ArchiveError.extraction` naming the system call; an untrusted archive leaves nothing behind then.
    @discardableResult
    public static func extract(_ archive: URL, into directory: URL, trust: Trust) throws -> Int {
        var count = 0
        switch trust {
        case .trusted:
            let writer = try DiskWriter(root: directory, archive: archive)
            try ArchiveReader(archive).forEachEntry { entry, reader in
                // Device nodes stay out of a root tree: an unprivileged build (in a user namespace) cannot make
                // them, so leaving them out keeps its trees the same as root's; the image's /dev is devtmpfs at
                // every boot, and the hooks get the host's /dev bound in.
                guard entry.fileType != carchive_ifchr, entry.fileType != carchive_ifblk else { return }
                try writer.write(entry, from: reader)
                count += 1
            }
        case .untrusted:
            try checkUntrusted(archive)
            let writer = try UntrustedWriter(root: directory, archive: archive)
            do {
                try ArchiveReader(archive).forEachEntry { entry, reader in
                    try writer.write(entry, from: reader)
                    count += 1
                }
                try writer.finish()
            } catch {
                writer.removeMade()
                throw error
            }
        }
        return count
    }

    /// Checks every entry of `archive` as `.untrusted` extraction does, writing nothing: each name is
    /// resolved through the links the entries before it make, as the kernel will resolve it.
    /// - Throws: `ArchiveError.unsafeEntry` naming the first refused entry, `ArchiveError.libarchive`.
    public static func checkUntrusted(_ archive: URL) throws {
        var tree = UntrustedTree()
        do {
            try ArchiveReader(archive).forEachEntry { entry, _ in try tree.add(entry.path, kind(of: entry)) }
            try tree.checkLinks()
        } catch let refusal as UntrustedTree.Refusal {
            throw ArchiveError.unsafeEntry(archive: archive.lastPathComponent, entry: refusal.entry, reason: refusal.reason)
        }
    }

    /// Lists the entry paths of `archive`, as stored.
    public static func entries(of archive: URL) throws -> [String] {
        var paths: [String] = []
        try ArchiveReader(archive).forEachEntry { entry, _ in paths.append(entry.path) }
        return paths
    }

    /// What an entry of an untrusted archive makes; device nodes and other special files are refused.
    private static func kind(of entry: ArchiveEntry) throws(UntrustedTree.Refusal) -> UntrustedTree.Kind {
        if let target = entry.hardlinkTarget { return .hardLink(target: target) }
        switch entry.fileType {
        case carchive_ifdir: return .folder
        case carchive_ifreg: return .file
        case carchive_iflnk: return .symbolicLink(target: entry.symlinkTarget ?? "")
        case carchive_ifchr, carchive_ifblk: throw UntrustedTree.Refusal(entry: entry.path, reason: "device node")
        default: throw UntrustedTree.Refusal(entry: entry.path, reason: "unsupported file type (only folders, files and links)")
        }
    }
}

/// The parts of an `archive_entry` dibkit looks at.
struct ArchiveEntry {
    let pointer: OpaquePointer
    var path: String { archive_entry_pathname(pointer).map { String(cString: $0) } ?? "" }
    var fileType: UInt32 { UInt32(archive_entry_filetype(pointer)) }
    var symlinkTarget: String? { archive_entry_symlink(pointer).map { String(cString: $0) } }
    var hardlinkTarget: String? { archive_entry_hardlink(pointer).map { String(cString: $0) } }
    var uid: Int64 { archive_entry_uid(pointer) }
    var gid: Int64 { archive_entry_gid(pointer) }
    /// The permission bits, set-id and sticky bits included.
    var permissions: mode_t { mode_t(archive_entry_perm(pointer)) & 0o7777 }
    var modified: FileTime { (archive_entry_mtime(pointer), archive_entry_mtime_nsec(pointer)) }
    /// The file's length, when the archive says.
    var size: Int64? { archive_entry_size_is_set(pointer) != 0 ? archive_entry_size(pointer) : nil }
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
        throw ArchiveError.libarchive(archive: name, call: call, message: libarchiveMessage(pointer, rc))
    }

    /// Calls `body` with each block of the current entry's data and where in the file it goes (the holes
    /// of a sparse file are left out).
    func forEachDataBlock(_ body: (UnsafeRawBufferPointer, Int64) throws -> Void) throws {
        var buffer: UnsafeRawPointer?
        var size = 0
        var offset: la_int64_t = 0
        while true {
            let rc = archive_read_data_block(pointer, &buffer, &size, &offset)
            if rc == ARCHIVE_EOF { return }
            try check(rc, "archive_read_data_block")
            try body(UnsafeRawBufferPointer(start: buffer, count: size), offset)
        }
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
        throw ArchiveError.libarchive(archive: name, call: call, message: libarchiveMessage(pointer, rc))
    }

    func write(_ entry: ArchiveEntry, from reader: ArchiveReader) throws {
        archive_entry_set_pathname(entry.pointer, rooted(entry.path))
        if let target = entry.hardlinkTarget { archive_entry_set_hardlink(entry.pointer, rooted(target)) }
        try check(archive_write_header(pointer, entry.pointer), "archive_write_header")
        try reader.forEachDataBlock { block, offset in
            // A failed write(2) (a full disk) is only ARCHIVE_WARN here, yet the file lost data: any error fails.
            let written = archive_write_data_block(pointer, block.baseAddress, block.count, offset)
            if written < 0 {
                throw ArchiveError.libarchive(
                    archive: name, call: "archive_write_data_block", message: libarchiveMessage(pointer, Int32(written)))
            }
        }
        try check(archive_write_finish_entry(pointer), "archive_write_finish_entry")
    }

    private func rooted(_ path: String) -> String {
        var relative = Substring(path)
        while relative.hasPrefix("/") || relative.hasPrefix("./") { relative = relative.hasPrefix("/") ? relative.dropFirst() : relative.dropFirst(2) }
        return relative.isEmpty || relative == "." ? root : root + "/" + relative
    }
}

/// libarchive's error text for `archive`, with the system error behind it when there is one ("Write failed"
/// alone does not say the disk is full).
func libarchiveMessage(_ archive: OpaquePointer, _ rc: Int32) -> String {
    let message = archive_error_string(archive).map { String(cString: $0) } ?? "error \(rc)"
    let code = archive_errno(archive)
    // libarchive's own codes on Linux: -1 (misc), EILSEQ (file format), EINVAL (programmer error).
    guard code > 0, code != EILSEQ, code != EINVAL else { return message }
    let cause = String(cString: strerror(code))
    return message.contains(cause) ? message : "\(message): \(cause)"
}
