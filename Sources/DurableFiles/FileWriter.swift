public import Foundation

/// A file open for writing, owned by one value: each write lands whole or throws a `FileWriteError` that
/// names the file and the cause (a full disk among them) — never a trap, as `FileHandle.write` has.
/// Not `Sendable`: one thread writes at a time (hold it behind a lock to share it).
public final class FileWriter {
    /// The file errors name.
    public let path: String
    private let descriptor: Int32
    private let calls: any FileSystemCalls
    private var closed = false

    /// Opens `path` for writing: created with `mode` if missing; emptied first, or written at its end
    /// when `appending`.
    /// - Parameters:
    ///   - reportedAs: the name errors give, when it is not `path` (a temporary file standing for another).
    ///   - calls: the system calls to make.
    /// - Throws: `FileWriteError` when the file cannot be opened.
    public init(
        path: String, mode: mode_t = 0o644, appending: Bool = false, reportedAs: String? = nil,
        calls: any FileSystemCalls = PosixFileCalls()
    ) throws(FileWriteError) {
        self.path = reportedAs ?? path
        self.calls = calls
        let flags = O_WRONLY | O_CREAT | O_CLOEXEC | (appending ? O_APPEND : O_TRUNC)
        switch calls.open(path, flags: flags, mode: mode) {
        case .success(let descriptor): self.descriptor = descriptor
        case .failure(let errno): throw FileWriteError(path: self.path, call: "open", errno: errno)
        }
    }

    deinit { if !closed { _ = calls.close(descriptor) } }

    /// Writes all of `data`.
    /// - Throws: `FileWriteError` (`.noSpace` when the filesystem is full).
    public func write(_ data: Data) throws(FileWriteError) {
        let failure: FileWriteError? = data.withUnsafeBytes { bytes in
            var done = 0
            while done < bytes.count {
                switch calls.write(descriptor, UnsafeRawBufferPointer(rebasing: bytes[done...])) {
                case .success(let written): done += written
                case .failure(let errno): return FileWriteError(path: path, call: "write", errno: errno)
                }
            }
            return nil
        }
        if let failure { throw failure }
    }

    /// Flushes what was written to the disk (`fsync`): a full disk that the page cache hid shows here.
    /// - Throws: `FileWriteError`.
    public func sync() throws(FileWriteError) {
        if case .failure(let errno) = calls.fsync(descriptor) { throw FileWriteError(path: path, call: "fsync", errno: errno) }
    }

    /// Closes the file; a failure here can mean data was lost, so it is reported.
    /// - Throws: `FileWriteError`.
    public func close() throws(FileWriteError) {
        guard !closed else { return }
        closed = true
        if case .failure(let errno) = calls.close(descriptor) { throw FileWriteError(path: path, call: "close", errno: errno) }
    }

    /// Writes `data` as the whole content of `url` (a scratch file, not flushed: use `FilePublisher` for
    /// a file that must survive a crash).
    /// - Throws: `FileWriteError`.
    public static func write(_ data: Data, to url: URL, mode: mode_t = 0o644) throws(FileWriteError) {
        let writer = try FileWriter(path: url.path, mode: mode)
        try writer.write(data)
        try writer.close()
    }

    /// Copies the file at `source` to `destination` (a scratch file, not flushed), 1 MiB at a time.
    /// - Throws: `FileWriteError` for the destination; Foundation's error when `source` cannot be read.
    public static func copy(_ source: URL, to destination: URL, mode: mode_t = 0o644) throws {
        let reader = try FileHandle(forReadingFrom: source)
        defer { try? reader.close() }
        let writer = try FileWriter(path: destination.path, mode: mode)
        while let chunk = try reader.read(upToCount: 1 << 20), !chunk.isEmpty { try writer.write(chunk) }
        try writer.close()
    }
}
