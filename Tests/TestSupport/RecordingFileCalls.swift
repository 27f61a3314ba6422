public import DurableFiles
public import Glibc
public import Foundation
import Synchronization

/// The real file system calls, recorded in order, with one kind of call made to fail where asked: to see
/// that a file is flushed before the rename that publishes it, and what a full disk does to a writer.
public final class RecordingFileCalls: FileSystemCalls {
    /// One call: its name (`open`, `write`, `fsync`, `rename`, `close`, `unlink`), the path it was made on
    /// (a descriptor's path for `write`, `fsync`, `close`) and, for `rename`, where to.
    public struct Entry: Sendable, Equatable {
        public var call: String
        public var path: String
        public var destination: String?
    }

    private struct State {
        var entries: [Entry] = []
        var paths: [Int32: String] = [:]
    }

    private let state = Mutex(State())
    private let real = PosixFileCalls()
    private let failing: (call: String, pathSuffix: String, errno: Int32)?

    /// - Parameter failing: `call` fails with `errno`, without being made, on every path ending in `pathSuffix`.
    public init(failing: (call: String, pathSuffix: String, errno: Int32)? = nil) { self.failing = failing }

    /// Every call so far.
    public var entries: [Entry] { state.withLock { $0.entries } }

    /// The flushes and renames so far, with paths under `folder` relative to it (`.` for the folder) and
    /// temporary names shortened to `.NAME.partial`: e.g. `["fsync .x.partial", "rename .x.partial x", "fsync ."]`.
    public func flushesAndRenames(in folder: URL) -> [String] {
        entries.filter { $0.call == "fsync" || $0.call == "rename" }.map { entry in
            ([entry.call, entry.path] + (entry.destination.map { [$0] } ?? []))
                .enumerated().map { $0.offset == 0 ? $0.element : Self.shortName($0.element, in: folder) }
                .joined(separator: " ")
        }
    }

    private static func shortName(_ path: String, in folder: URL) -> String {
        let base = folder.standardizedFileURL.path
        guard path == base || path.hasPrefix(base + "/") else { return path }
        let relative = path == base ? "." : String(path.dropFirst(base.count + 1))
        // .NAME.<pid>[.<more>].partial[.ext] → .NAME.partial
        guard let match = relative.firstMatch(of: /^(.*\/)?\.(.+?)\.\d+\..*partial.*$/) else { return relative }
        return "\(match.1 ?? "").\(match.2).partial"
    }

    private func record(_ call: String, path: String, destination: String? = nil) -> Errno? {
        state.withLock { $0.entries.append(Entry(call: call, path: path, destination: destination)) }
        guard let failing, failing.call == call, path.hasSuffix(failing.pathSuffix) else { return nil }
        return Errno(failing.errno)
    }

    private func path(of descriptor: Int32) -> String { state.withLock { $0.paths[descriptor] ?? "fd \(descriptor)" } }

    public func open(_ path: String, flags: Int32, mode: mode_t) -> Result<Int32, Errno> {
        if let errno = record("open", path: path) { return .failure(errno) }
        let result = real.open(path, flags: flags, mode: mode)
        if case .success(let descriptor) = result { state.withLock { $0.paths[descriptor] = path } }
        return result
    }

    public func write(_ descriptor: Int32, _ bytes: UnsafeRawBufferPointer) -> Result<Int, Errno> {
        if let errno = record("write", path: path(of: descriptor)) { return .failure(errno) }
        return real.write(descriptor, bytes)
    }

    public func fsync(_ descriptor: Int32) -> Result<Void, Errno> {
        if let errno = record("fsync", path: path(of: descriptor)) { return .failure(errno) }
        return real.fsync(descriptor)
    }

    public func rename(_ source: String, to destination: String) -> Result<Void, Errno> {
        if let errno = record("rename", path: source, destination: destination) { return .failure(errno) }
        return real.rename(source, to: destination)
    }

    public func close(_ descriptor: Int32) -> Result<Void, Errno> {
        let path = path(of: descriptor)
        state.withLock { $0.paths[descriptor] = nil }
        if let errno = record("close", path: path) { return .failure(errno) }
        return real.close(descriptor)
    }

    public func unlink(_ path: String) -> Result<Void, Errno> {
        if let errno = record("unlink", path: path) { return .failure(errno) }
        return real.unlink(path)
    }
}
