internal import CZlib

/// Conversion into a gzip stream of the raw disk (RFC 1952). Each chunk is deflated on a worker thread as
/// an independent, byte-aligned run of blocks, and the runs are joined in order into one deflate stream;
/// CRC-32s are combined. All-zero chunks reuse one precomputed run, so holes cost no compression, and
/// chunks that look incompressible are stored, not deflated.
final class GzipSink: ConversionSink {
    private let output: SequentialWriter
    private let compressors: [DeflateCompressor]
    private let storers: [DeflateCompressor]
    private let zeroSegment: [UInt8]
    private let zeroCRC: UInt
    private var crc: UInt = crc32(0, nil, 0)
    private var length: UInt64 = 0
    let chunkSize = 1 << 20

    init(file: ImageFile, workers: Int) throws {
        output = SequentialWriter(file: file)
        let compressors = (0..<max(1, workers)).map { _ in DeflateCompressor(windowBits: 15) }
        self.compressors = compressors
        storers = (0..<max(1, workers)).map { _ in DeflateCompressor(windowBits: 15, level: Z_NO_COMPRESSION) }
        let zeros = [UInt8](repeating: 0, count: 1 << 20)
        zeroSegment = zeros.withUnsafeBytes { Self.segment($0, with: compressors[0]) }
        zeroCRC = zeros.withUnsafeBytes { crc32(0, $0.baseAddress?.assumingMemoryBound(to: UInt8.self), UInt32($0.count)) }
        // Header: magic, deflate, no flags, no time, no extra flags, OS unknown.
        try output.append([0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 255])
    }

    private static func segment(_ bytes: UnsafeRawBufferPointer, with compressor: DeflateCompressor) -> [UInt8] {
        var segment = [UInt8](repeating: 0, count: compressor.bound(bytes.count))
        let count = segment.withUnsafeMutableBytes { compressor.compressSegment(bytes, into: $0) }
        return Array(segment[..<count])
    }

    func transform(_ chunk: GuestChunk, worker: Int) throws -> SinkOutput {
        let zero = chunk.length % chunkSize == 0
            && (chunk.isKnownZero || chunk.bytes.withUnsafeBytes { isAllZero(UnsafeRawBufferPointer(rebasing: $0[..<chunk.length])) })
        if zero { return SinkOutput(chunk: chunk, pieces: [], encoded: []) }
        var encoded = [UInt8](repeating: 0, count: 4 + compressors[worker].bound(chunk.length))
        let count = chunk.bytes.withUnsafeBytes { raw in
            let input = UnsafeRawBufferPointer(rebasing: raw[..<chunk.length])
            return encoded.withUnsafeMutableBytes { target in
                let checksum = UInt32(crc32(0, input.baseAddress?.assumingMemoryBound(to: UInt8.self), UInt32(input.count)))
                target.storeBytes(of: checksum, as: UInt32.self)
                let compressor = looksIncompressible(input) ? storers[worker] : compressors[worker]
                return compressor.compressSegment(input, into: UnsafeMutableRawBufferPointer(rebasing: target[4...]))
            }
        }
        return SinkOutput(chunk: chunk, pieces: [.init(source: .encoded, range: 4..<4 + count)], encoded: encoded)
    }

    func consume(_ output: SinkOutput) throws {
        if let piece = output.pieces.first {
            let checksum = output.encoded.withUnsafeBytes { $0.load(as: UInt32.self) }
            try output.encoded.withUnsafeBytes { try self.output.append(UnsafeRawBufferPointer(rebasing: $0[piece.range])) }
            crc = crc32_combine(crc, UInt(checksum), off_t(output.chunk.length))
        } else {
            for _ in 0..<output.chunk.length / chunkSize {
                try self.output.append(zeroSegment)
                crc = crc32_combine(crc, zeroCRC, off_t(chunkSize))
            }
        }
        length += UInt64(output.chunk.length)
    }

    func finish() throws {
        // An empty final stored-fixed block ends the deflate stream; then CRC-32 and length, little-endian.
        var trailer: [UInt8] = [0x03, 0x00]
        withUnsafeBytes(of: UInt32(truncatingIfNeeded: crc).littleEndian) { trailer += $0 }
        withUnsafeBytes(of: UInt32(truncatingIfNeeded: length).littleEndian) { trailer += $0 }
        try output.append(trailer)
        try output.flush()
    }
}
