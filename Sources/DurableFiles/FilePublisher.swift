public import Foundation

/// Puts files in place so that a crash or a full disk never leaves part of one under its name: the content
/// is complete and flushed to disk under a temporary name in the same folder, then renamed over the name,
/// then the folder is flushed so the rename itself survives a crash. Every file dibkit publishes (images,
/// manifests, the base-root cache, `convert` outputs, flavors.yaml) goes through here.
public struct FilePublisher: Sendable {
    private let calls: any FileSystemCalls

    /// A publisher making `calls` (the real ones by default).
    public init(calls: any FileSystemCalls = PosixFileCalls()) { self.calls = calls }

    /// Writes `data` as `destination`: to a hidden temporary file beside it, flushed, renamed over it,
    /// and the folder flushed. On failure the temporary file is removed and `destination` is as it was.
    /// - Throws: `FileWriteError` naming `destination` and the cause (`.noSpace` for a full disk).
    public func write(_ data: Data, to destination: URL, mode: mode_t = 0o644) throws {
        let temporary = destination.deletingLastPathComponent()
            .appendingPathComponent(".\(destination.lastPathComponent).\(getpid()).\(UUID().uuidString.prefix(8)).partial")
        do {
            let writer = try FileWriter(path: temporary.path, mode: mode, reportedAs: destination.path, calls: calls)
            try writer.write(data)
            try writer.sync()
            try writer.close()
            try rename(temporary, to: destination)
        } catch {
            _ = calls.unlink(temporary.path)
            throw error
        }
        try syncFolder(of: destination)
    }

    /// Publishes the complete file at `staged` (in `destination`'s folder, so that the rename does not
    /// cross filesystems) as `destination`: flushes it, renames it over `destination`, flushes the folder.
    /// On failure `staged` is left for its owner to remove.
    /// - Throws: `FileWriteError` naming `destination` and the cause.
    public func publish(_ staged: URL, as destination: URL) throws {
        try sync(staged.path, reportedAs: destination.path)
        try rename(staged, to: destination)
        try syncFolder(of: destination)
    }

    private func rename(_ source: URL, to destination: URL) throws {
        if case .failure(let errno) = calls.rename(source.path, to: destination.path) {
            throw FileWriteError(path: destination.path, call: "rename", errno: errno)
        }
    }

    /// Flushes the folder's entries, which is what makes a rename survive a crash.
    private func syncFolder(of file: URL) throws {
        try sync(file.deletingLastPathComponent().path, reportedAs: file.deletingLastPathComponent().path, flags: O_DIRECTORY)
    }

    private func sync(_ path: String, reportedAs reported: String, flags: Int32 = 0) throws {
        let descriptor: Int32
        switch calls.open(path, flags: O_RDONLY | O_CLOEXEC | flags, mode: 0) {
        case .success(let opened): descriptor = opened
        case .failure(let errno): throw FileWriteError(path: reported, call: "open", errno: errno)
        }
        defer { _ = calls.close(descriptor) }
        // EINVAL: the filesystem cannot flush this kind of file (some do not flush folders); nothing to wait for.
        if case .failure(let errno) = calls.fsync(descriptor), errno.code != EINVAL {
            throw FileWriteError(path: reported, call: "fsync", errno: errno)
        }
    }
}
