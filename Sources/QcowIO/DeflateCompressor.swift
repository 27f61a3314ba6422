internal import CZlib

/// Owns one zlib deflate stream, reset for every input: raw deflate (no zlib or gzip wrapper), as qcow2's
/// compressed clusters and dibkit's gzip segments need. Used by one thread at a time.
final class DeflateCompressor {
    private let stream: UnsafeMutablePointer<z_stream>

    /// - Parameter windowBits: 12 for qcow2 clusters (qemu's window), 15 for gzip segments.
    init(windowBits: Int32, level: Int32 = Z_DEFAULT_COMPRESSION) {
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        let rc = deflateInit2_(stream, level, Z_DEFLATED, -windowBits, 8, Z_DEFAULT_STRATEGY, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        // Only a bad parameter or no memory fail here; both are programming errors or fatal.
        precondition(rc == Z_OK, "deflateInit2 failed (\(rc))")
    }

    deinit {
        deflateEnd(stream)
        stream.deallocate()
    }

    /// Worst-case output size for `count` input bytes, flush markers included.
    func bound(_ count: Int) -> Int { Int(deflateBound(stream, UInt(count))) + 16 }

    /// Compresses `input` as one finished deflate stream into `output`.
    /// - Returns: the compressed length, or nil when it does not fit in `output` (the data does not shrink).
    func compress(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) -> Int? {
        run(input, into: output, flush: Z_FINISH, done: Z_STREAM_END)
    }

    /// Compresses `input` as a byte-aligned run of deflate blocks that refers to no earlier data and is not
    /// final, so such runs can be joined into one stream. `output` must hold `bound(input.count)` bytes.
    func compressSegment(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) -> Int {
        guard let length = run(input, into: output, flush: Z_SYNC_FLUSH, done: Z_OK) else {
            preconditionFailure("deflate output exceeded deflateBound")
        }
        return length
    }

    private func run(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer, flush: Int32, done: Int32) -> Int? {
        deflateReset(stream)
        stream.pointee.setBuffers(input: input, output: output)
        let rc = deflate(stream, flush)
        guard rc == done, stream.pointee.avail_in == 0, flush != Z_SYNC_FLUSH || stream.pointee.avail_out > 0 else { return nil }
        return output.count - Int(stream.pointee.avail_out)
    }
}
