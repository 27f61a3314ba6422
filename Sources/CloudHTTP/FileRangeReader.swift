import Foundation
public import NIOCore
import NIOPosix
public import Reporting

/// Reads byte ranges of one file into buffers on NIO's blocking-I/O thread pool, off the cooperative pool:
/// how uploads read the image they send.
public final class FileRangeReader: Sendable {
    public let path: String
    private let descriptor: Int32

    /// Opens `path` for reading.
    /// - Throws: `FileReadError` when it cannot be opened.
    public init(path: String) throws {
        self.path = path
        descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw FileReadError(description: "cannot read \(path): \(String(cString: strerror(errno)))")
        }
    }

    deinit { close(descriptor) }

    /// `length` bytes from `offset`.
    /// - Throws: `FileReadError` if the file ends sooner or cannot be read.
    public func read(offset: UInt64, length: Int) async throws -> ByteBuffer {
        try await NIOThreadPool.singleton.runIfActive { [descriptor, path] in
            var buffer = ByteBufferAllocator().buffer(capacity: length)
            while buffer.readableBytes < length {
                let wanted = length - buffer.readableBytes
                let position = off_t(offset) + off_t(buffer.readableBytes)
                var count = 0
                buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: wanted) { target in
                    count = pread(descriptor, target.baseAddress, wanted, position)
                    return max(count, 0)
                }
                if count < 0, errno == EINTR { continue }
                guard count > 0 else {
                    let reason = count < 0 ? String(cString: strerror(errno)) : "file ended early (it changed while uploading?)"
                    throw FileReadError(description: "reading \(path) at \(offset): \(reason)")
                }
            }
            return buffer
        }
    }
}

/// The image being uploaded could not be read (or changed size while it was read).
public struct FileReadError: ClassifiedError, CustomStringConvertible, Sendable, Equatable {
    public let description: String
    public var failureKind: FailureKind { .badInput }
}
