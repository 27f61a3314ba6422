internal import COpenat2
internal import Foundation
internal import Glibc

/// A system call that failed: which one, and its errno.
struct SystemCallFailure: Error {
    let call: String
    let code: Int32

    var message: String { String(cString: strerror(code)) }
    /// `openat2` with `RESOLVE_BENEATH` refused a way out of the folder: `..` above it, an absolute link.
    var leadsOutside: Bool { code == EXDEV }

    /// Calls `body` until it does not fail with EINTR or EAGAIN (which openat2 returns when a rename
    /// raced with the resolution); -1 becomes a failure naming `call`.
    static func retrying(_ call: String, _ body: () -> Int32) throws(SystemCallFailure) -> Int32 {
        while true {
            let result = body()
            if result >= 0 { return result }
            guard errno == EINTR || errno == EAGAIN else { throw SystemCallFailure(call: call, code: errno) }
        }
    }
}

/// A file's modification time: seconds since the epoch, and nanoseconds.
typealias FileTime = (seconds: Int, nanoseconds: Int)

/// A folder opened once, under which every path is resolved by the kernel: `openat2` with
/// `RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS`, so no `..`, absolute link or `/proc` magic link leads out of
/// it, whatever links lie on the way. The one place Chroot makes files with system calls.
final class RootFolder {
    private let folder: Descriptor

    /// Opens `url`, which must be a folder.
    init(_ url: URL) throws(SystemCallFailure) {
        folder = Descriptor(try SystemCallFailure.retrying("open") { Glibc.open(url.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC) })
    }

    /// Opens `components` beneath the root (the root itself when there are none), following links that
    /// stay beneath it; `flags` as for open(2).
    func open(_ components: ArraySlice<String>, flags: Int32) throws(SystemCallFailure) -> Descriptor {
        let path = components.isEmpty ? "." : components.joined(separator: "/")
        let resolve = copenat2_resolve_beneath | copenat2_resolve_no_magiclinks
        return Descriptor(try SystemCallFailure.retrying("openat2") {
            copenat2(folder.raw, path, UInt64(flags | O_CLOEXEC), resolve)
        })
    }

    /// Opens the folder `components` for use as the folder of `*at` calls only (`O_PATH`).
    func folder(_ components: ArraySlice<String>) throws(SystemCallFailure) -> Descriptor {
        try open(components, flags: copenat2_o_path | O_DIRECTORY)
    }

    /// Where `descriptor`, opened beneath the root, lies: its components from the root, no links on the way
    /// (as the kernel tells in `/proc/self/fd`).
    func components(of descriptor: Descriptor) throws(SystemCallFailure) -> [String] {
        let (root, path) = (try folder.path(), try descriptor.path())
        guard path != root else { return [] }
        let prefix = root == "/" ? root : root + "/"
        guard path.hasPrefix(prefix) else { throw SystemCallFailure(call: "readlink", code: EXDEV) }
        return path.dropFirst(prefix.count).split(separator: "/").map(String.init)
    }
}

/// An open file descriptor, closed when the value goes; its methods are the `*at` and `f*` calls on it.
final class Descriptor {
    let raw: Int32

    init(_ raw: Int32) { self.raw = raw }
    deinit { close(raw) }

    /// The absolute path the kernel knows this descriptor by.
    func path() throws(SystemCallFailure) -> String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let length = readlink("/proc/self/fd/\(raw)", &buffer, buffer.count - 1)
        guard length >= 0 else { throw SystemCallFailure(call: "readlink", code: errno) }
        return String(decoding: buffer[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Makes the folder `name` in this folder.
    /// - Returns: false when something of that name is there already.
    @discardableResult
    func makeFolder(_ name: String, mode: mode_t) throws(SystemCallFailure) -> Bool {
        while mkdirat(raw, name, mode) != 0 {
            if errno == EEXIST { return false }
            guard errno == EINTR else { throw SystemCallFailure(call: "mkdirat", code: errno) }
        }
        return true
    }

    /// Makes the file `name` in this folder, which must not exist, and opens it for writing.
    func makeFile(_ name: String) throws(SystemCallFailure) -> Descriptor {
        Descriptor(try SystemCallFailure.retrying("openat") {
            openat(raw, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        })
    }

    /// Makes the symbolic link `name` in this folder, pointing at `target` (not resolved).
    func makeLink(_ name: String, to target: String) throws(SystemCallFailure) {
        _ = try SystemCallFailure.retrying("symlinkat") { symlinkat(target, raw, name) }
    }

    /// Makes `name` in this folder a hard link to `source` in `sourceFolder` (a link is linked, not followed).
    func makeHardLink(_ name: String, to source: String, in sourceFolder: Descriptor) throws(SystemCallFailure) {
        _ = try SystemCallFailure.retrying("linkat") { linkat(sourceFolder.raw, source, raw, name, 0) }
    }

    /// Removes `name` from this folder: a folder (which must be empty) or anything else.
    func remove(_ name: String, folder: Bool) throws(SystemCallFailure) {
        _ = try SystemCallFailure.retrying("unlinkat") { unlinkat(raw, name, folder ? AT_REMOVEDIR : 0) }
    }

    /// Sets owner and times of `name` in this folder without following it (for links).
    func setOwnerAndTime(of name: String, owner: (uid_t, gid_t)?, modified: FileTime) throws(SystemCallFailure) {
        if let (uid, gid) = owner {
            _ = try SystemCallFailure.retrying("fchownat") { fchownat(raw, name, uid, gid, AT_SYMLINK_NOFOLLOW) }
        }
        let times = Self.accessAndModification(modified)
        _ = try SystemCallFailure.retrying("utimensat") { utimensat(raw, name, times, AT_SYMLINK_NOFOLLOW) }
    }

    /// Sets this file's owner (when given), then its mode (after, as chown clears set-id bits), then its times.
    func setMetadata(owner: (uid_t, gid_t)?, mode: mode_t, modified: FileTime) throws(SystemCallFailure) {
        if let (uid, gid) = owner {
            _ = try SystemCallFailure.retrying("fchown") { fchown(raw, uid, gid) }
        }
        _ = try SystemCallFailure.retrying("fchmod") { fchmod(raw, mode) }
        let times = Self.accessAndModification(modified)
        _ = try SystemCallFailure.retrying("futimens") { futimens(raw, times) }
    }

    /// The two times utimensat(2) and futimens(2) set, both `time`.
    private static func accessAndModification(_ time: FileTime) -> [timespec] {
        var both = timespec()
        (both.tv_sec, both.tv_nsec) = (time.seconds, time.nanoseconds)
        return [both, both]
    }

    /// Writes all of `bytes` at `offset`.
    func write(_ bytes: UnsafeRawBufferPointer, at offset: Int64) throws(SystemCallFailure) {
        var done = 0
        while done < bytes.count {
            let written = pwrite(raw, bytes.baseAddress! + done, bytes.count - done, off_t(offset) + off_t(done))
            if written < 0, errno == EINTR { continue }
            guard written > 0 else { throw SystemCallFailure(call: "pwrite", code: written < 0 ? errno : EIO) }
            done += written
        }
    }

    /// Sets the file's length (a longer file ends in a hole).
    func truncate(to length: Int64) throws(SystemCallFailure) {
        _ = try SystemCallFailure.retrying("ftruncate") { ftruncate(raw, off_t(length)) }
    }
}
