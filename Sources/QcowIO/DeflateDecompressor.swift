internal import CZlib

/// Owns one zlib inflate stream for raw deflate data (qcow2's compressed clusters, window up to 2^15).
/// Used by one thread at a time.
final class DeflateDecompressor {
    private let stream: UnsafeMutablePointer<z_stream>

    init() {
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        let rc = inflateInit2_(stream, -15, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        precondition(rc == Z_OK, "inflateInit2 failed (\(rc))")
    }

    deinit {
        inflateEnd(stream)
        stream.deallocate()
    }

    /// Inflates `input` until `output` is full.
    /// - Returns: false when the data is not valid deflate or ends before `output` is full.
    func decompress(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) -> Bool {
        inflateReset(stream)
        stream.pointee.setBuffers(input: input, output: output)
        let rc = inflate(stream, Z_FINISH)
        // Trailing bytes after the cluster (the rest of its last sector) are allowed, as in qemu.
        return (rc == Z_STREAM_END || rc == Z_OK || rc == Z_BUF_ERROR) && stream.pointee.avail_out == 0
    }
}

extension z_stream {
    /// Points the stream at `input` to read and `output` to fill.
    mutating func setBuffers(input: UnsafeRawBufferPointer, output: UnsafeMutableRawBufferPointer) {
        next_in = UnsafeMutablePointer(mutating: input.baseAddress?.assumingMemoryBound(to: UInt8.self))
        avail_in = UInt32(input.count)
        next_out = output.baseAddress?.assumingMemoryBound(to: UInt8.self)
        avail_out = UInt32(output.count)
    }
}
