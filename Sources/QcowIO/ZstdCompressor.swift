internal import CZstd

/// Owns one zstd compression context (ZSTD_CCtx), level 3 (zstd's default). Used by one thread at a time.
final class ZstdCompressor {
    private let context: OpaquePointer

    init() {
        guard let context = ZSTD_createCCtx() else { preconditionFailure("ZSTD_createCCtx returned NULL (out of memory)") }
        self.context = context
        ZSTD_CCtx_setParameter(context, ZSTD_c_compressionLevel, ZSTD_CLEVEL_DEFAULT)
    }

    deinit { ZSTD_freeCCtx(context) }

    /// Compresses `input` as one zstd frame into `output`.
    /// - Returns: the frame's length, or nil when it does not fit in `output` (the data does not shrink).
    func compress(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) -> Int? {
        let written = ZSTD_compress2(context, output.baseAddress, output.count, input.baseAddress, input.count)
        return ZSTD_isError(written) == 0 ? written : nil
    }
}
