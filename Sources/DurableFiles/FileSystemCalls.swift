public import Glibc

/// A failed system call's `errno`.
public struct Errno: Error, Sendable, Equatable, CustomStringConvertible {
    public let code: Int32

    public init(_ code: Int32) { self.code = code }

    /// The `errno` the last failed call left.
    public static var current: Errno { Errno(errno) }

    /// The system's words for it (`strerror`).
    public var description: String { String(cString: strerror(code)) }
}

/// The system calls that writing and publishing files make: the one place they are made, so that a test
/// can watch their order or make one of them fail (a full disk, a failed flush) against a fake.
public protocol FileSystemCalls: Sendable {
    /// `open(2)`: a descriptor.
    func open(_ path: String, flags: Int32, mode: mode_t) -> Result<Int32, Errno>
    /// `write(2)`: how many of `bytes` were written (at least one).
    func write(_ descriptor: Int32, _ bytes: UnsafeRawBufferPointer) -> Result<Int, Errno>
    /// `fsync(2)`.
    func fsync(_ descriptor: Int32) -> Result<Void, Errno>
    /// `rename(2)`, replacing `destination`.
    func rename(_ source: String, to destination: String) -> Result<Void, Errno>
    /// `close(2)`.
    func close(_ descriptor: Int32) -> Result<Void, Errno>
    /// `unlink(2)`.
    func unlink(_ path: String) -> Result<Void, Errno>
}

/// The real calls.
public struct PosixFileCalls: FileSystemCalls {
    public init() {}

    public func open(_ path: String, flags: Int32, mode: mode_t) -> Result<Int32, Errno> {
        let descriptor = Glibc.open(path, flags, mode)
        return descriptor >= 0 ? .success(descriptor) : .failure(.current)
    }

    public func write(_ descriptor: Int32, _ bytes: UnsafeRawBufferPointer) -> Result<Int, Errno> {
        while true {
            let written = Glibc.write(descriptor, bytes.baseAddress, bytes.count)
            if written > 0 { return .success(written) }
            if written < 0 && errno == EINTR { continue }
            // write(2) returns 0 for a non-empty buffer only when nothing more fits.
            return .failure(written == 0 ? Errno(ENOSPC) : .current)
        }
    }

    public func fsync(_ descriptor: Int32) -> Result<Void, Errno> {
        Glibc.fsync(descriptor) == 0 ? .success(()) : .failure(.current)
    }

    public func rename(_ source: String, to destination: String) -> Result<Void, Errno> {
        Glibc.rename(source, destination) == 0 ? .success(()) : .failure(.current)
    }

    public func close(_ descriptor: Int32) -> Result<Void, Errno> {
        Glibc.close(descriptor) == 0 ? .success(()) : .failure(.current)
    }

    public func unlink(_ path: String) -> Result<Void, Errno> {
        Glibc.unlink(path) == 0 ? .success(()) : .failure(.current)
    }
}
