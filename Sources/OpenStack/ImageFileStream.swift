import CloudHTTP
import Crypto
import Foundation
import NIOCore
import Synchronization

/// An image file sent as a stream of 4 MiB chunks, each read when the connection wants it (so memory holds a
/// few chunks whatever the image size), hashed with SHA-512 on the way and reported as progress.
/// `restarted()` begins a new pass from the first byte for each try of a request.
final class ImageFileStream: Sendable {
    static let chunkSize = 4 << 20

    let size: UInt64
    private let reader: FileRangeReader
    private let progress: @Sendable (_ done: UInt64, _ total: UInt64) -> Void
    private let latest = Mutex<Pass?>(nil)

    /// - Parameter progress: bytes read so far in the current pass, and the file's size.
    init(path: String, progress: @escaping @Sendable (_ done: UInt64, _ total: UInt64) -> Void) throws {
        reader = try FileRangeReader(path: path)
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        size = (attributes[.size] as? NSNumber)?.uint64Value ?? 0
        self.progress = progress
    }

    /// A new pass over the whole file; the hash of the last complete pass is `sha512Hex()`.
    func restarted() -> Pass {
        let pass = Pass(stream: self)
        latest.withLock { $0 = pass }
        return pass
    }

    /// Hex SHA-512 of the bytes the latest pass sent, if it sent the whole file.
    func sha512Hex() -> String? { latest.withLock { $0?.finishedDigest } }

    /// One read of the file, front to back.
    final class Pass: AsyncSequence, Sendable {
        typealias Element = ByteBuffer

        private struct State {
            var offset: UInt64 = 0
            var hasher = SHA512()
            var digest: String?
        }

        private let stream: ImageFileStream
        private let state = Mutex(State())

        init(stream: ImageFileStream) { self.stream = stream }

        var finishedDigest: String? { state.withLock { $0.digest } }

        struct AsyncIterator: AsyncIteratorProtocol {
            let pass: Pass

            mutating func next() async throws -> ByteBuffer? { try await pass.nextChunk() }
        }

        func makeAsyncIterator() -> AsyncIterator { AsyncIterator(pass: self) }

        private func nextChunk() async throws -> ByteBuffer? {
            let offset = state.withLock { $0.offset }
            guard offset < stream.size else { return nil }
            let length = Int(Swift.min(UInt64(ImageFileStream.chunkSize), stream.size - offset))
            let chunk = try await stream.reader.read(offset: offset, length: length)
            let done = state.withLock { state in
                chunk.withUnsafeReadableBytes { state.hasher.update(bufferPointer: $0) }
                state.offset += UInt64(length)
                if state.offset == stream.size {
                    state.digest = state.hasher.finalize().map { String(format: "%02x", $0) }.joined()
                }
                return state.offset
            }
            stream.progress(done, stream.size)
            return chunk
        }
    }
}
