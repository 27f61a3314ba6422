internal import DurableFiles
internal import Foundation

/// An open file descriptor and the calls QcowIO makes on it; every failure names the call and the file
/// (`QcowError` when reading, `FileWriteError` when writing, a full disk among them).
final class ImageFile {
    let descriptor: Int32
    let path: String

    /// Opens `path` read-only: a regular file or a block device (never a FIFO or character device, which
    /// a hostile backing file name could point at, and which could block forever).
    init(readingAt path: String) throws {
        self.path = path
        descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard descriptor >= 0 else { throw QcowError.unreadable(path: path, reason: Self.lastError()) }
        var status = stat()
        let type = fstat(descriptor, &status) == 0 ? status.st_mode & S_IFMT : 0
        guard type == S_IFREG || type == S_IFBLK else {
            close(descriptor)
            throw QcowError.unreadable(path: path, reason: "not a regular file or block device")
        }
    }

    /// Creates (or truncates) `path` for writing; errors name `reportedAs` (the output a temporary file
    /// stands for).
    init(creatingAt path: String, reportedAs name: String) throws {
        self.path = name
        descriptor = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw FileWriteError(path: name, call: "open", errno: .current) }
    }

    deinit { close(descriptor) }

    /// lseek's whence values for sparse files (Linux; not exported by the Glibc module).
    private static let seekData: Int32 = 3
    private static let seekHole: Int32 = 4

    static func lastError() -> String { String(cString: strerror(errno)) }

    /// The file's length in bytes.
    func size() throws -> UInt64 { try status().size }

    /// Length and allocated bytes (blocks on disk).
    func status() throws -> (size: UInt64, allocated: UInt64) {
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw QcowError.ioFailed(path: path, call: "fstat", reason: Self.lastError()) }
        // A block device's length is where its end lies, not st_size.
        let size = status.st_mode & S_IFMT == S_IFBLK ? UInt64(max(0, lseek(descriptor, 0, SEEK_END))) : UInt64(status.st_size)
        return (size, UInt64(status.st_blocks) * 512)
    }

    /// Fills `buffer` from `offset`; bytes past the end of the file read as zeros.
    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: UInt64) throws {
        let read = repeatUntilDone(buffer.count) { done in
            pread(descriptor, buffer.baseAddress! + done, buffer.count - done, off_t(offset) + off_t(done))
        }
        guard case .success(let filled) = read else {
            throw QcowError.ioFailed(path: path, call: "pread", reason: Self.lastError())
        }
        if filled < buffer.count { (buffer.baseAddress! + filled).initializeMemory(as: UInt8.self, repeating: 0, count: buffer.count - filled) }
    }

    /// `count` bytes from `offset` as an array (zeros past the end of the file).
    func readBytes(count: Int, at offset: UInt64) throws -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        try bytes.withUnsafeMutableBytes { try read(into: $0, at: offset) }
        return bytes
    }

    /// Writes all of `bytes` at `offset`.
    /// - Throws: `FileWriteError` (`.noSpace` when the filesystem is full).
    func write(_ bytes: UnsafeRawBufferPointer, at offset: UInt64) throws {
        let written = repeatUntilDone(bytes.count) { done in
            pwrite(descriptor, bytes.baseAddress! + done, bytes.count - done, off_t(offset) + off_t(done))
        }
        switch written {
        case .failure(let errno): throw FileWriteError(path: path, call: "pwrite", errno: errno)
        // pwrite returns 0 for a non-empty buffer only when nothing more fits.
        case .success(let count) where count < bytes.count: throw FileWriteError(path: path, call: "pwrite", errno: Errno(ENOSPC))
        case .success: return
        }
    }

    /// Calls `transfer` with the bytes done so far until `count` are done or it returns 0 (end of file);
    /// retries on EINTR. Returns the bytes done, or the errno of a failed call.
    private func repeatUntilDone(_ count: Int, _ transfer: (Int) -> Int) -> Result<Int, Errno> {
        var done = 0
        while done < count {
            let moved = transfer(done)
            if moved < 0 {
                if errno == EINTR { continue }
                return .failure(.current)
            }
            if moved == 0 { break }
            done += moved
        }
        return .success(done)
    }

    /// Sets the file's length (a longer file ends in a hole).
    /// - Throws: `FileWriteError`.
    func truncate(to length: UInt64) throws {
        guard ftruncate(descriptor, off_t(length)) == 0 else {
            throw FileWriteError(path: path, call: "ftruncate", errno: .current)
        }
    }

    /// Where the next data at or after `offset` starts and where that data ends (SEEK_DATA, SEEK_HOLE);
    /// nil when only a hole follows.
    func dataRange(from offset: UInt64) throws -> Range<UInt64>? {
        let data = lseek(descriptor, off_t(offset), Self.seekData)
        if data < 0 {
            if errno == ENXIO { return nil }
            throw QcowError.ioFailed(path: path, call: "lseek(SEEK_DATA)", reason: Self.lastError())
        }
        let hole = lseek(descriptor, data, Self.seekHole)
        guard hole >= data else { throw QcowError.ioFailed(path: path, call: "lseek(SEEK_HOLE)", reason: Self.lastError()) }
        return UInt64(data)..<UInt64(hole)
    }
}
