internal import CZstd

/// Owns one zstd decompression context (ZSTD_DCtx). Used by one thread at a time.
final class ZstdDecompressor {
    private let context: OpaquePointer

    init() {
        guard let context = ZSTD_createDCtx() else { preconditionFailure("ZSTD_createDCtx returned NULL (out of memory)") }
        self.context = context
    }

    deinit { ZSTD_freeDCtx(context) }

    /// Decompresses the zstd frame at the start of `input` (bytes after it are ignored) into `output`.
    /// - Returns: false unless the frame is valid and fills `output` exactly.
    func decompress(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) -> Bool {
        let frame = ZSTD_findFrameCompressedSize(input.baseAddress, input.count)
        guard ZSTD_isError(frame) == 0 else { return false }
        let written = ZSTD_decompressDCtx(context, output.baseAddress, output.count, input.baseAddress, frame)
        return ZSTD_isError(written) == 0 && written == output.count
    }
}
