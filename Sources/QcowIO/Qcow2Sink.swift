/// Conversion into qcow2: all-zero clusters are skipped; with compression each cluster is compressed on a
/// worker thread and stored compressed only when that makes it shorter than a cluster.
final class Qcow2Sink: ConversionSink {
    private let writer: Qcow2Writer
    private let clusterSize: Int
    private let compressors: [ClusterCompressor]
    let chunkSize: Int

    init(file: ImageFile, virtualSize: UInt64, options: ConvertOptions) throws {
        writer = try Qcow2Writer(file: file, virtualSize: virtualSize, clusterSize: options.clusterSize, compression: options.compression)
        clusterSize = options.clusterSize
        chunkSize = max(options.clusterSize, 1 << 20)
        compressors = options.compression.map { kind in (0..<max(1, options.threads)).map { _ in ClusterCompressor(kind) } } ?? []
    }

    func transform(_ chunk: GuestChunk, worker: Int) throws -> SinkOutput {
        var output = SinkOutput(chunk: chunk, pieces: [], encoded: [])
        guard !chunk.isKnownZero else { return output }
        let firstCluster = chunk.offset / UInt64(clusterSize)
        if !compressors.isEmpty { output.encoded.reserveCapacity(chunk.length / 2) }
        chunk.bytes.withUnsafeBytes { raw in
            for start in stride(from: 0, to: chunk.length, by: clusterSize) {
                let range = start..<start + clusterSize
                let bytes = UnsafeRawBufferPointer(rebasing: raw[range])
                guard !isAllZero(bytes) else { continue }
                let cluster = firstCluster + UInt64(start / clusterSize)
                if !compressors.isEmpty, let packed = compressors[worker].compress(bytes, clusterSize: clusterSize, appendingTo: &output.encoded) {
                    output.pieces.append(.init(source: .encoded, range: packed, cluster: cluster, compressed: true))
                } else {
                    output.pieces.append(.init(source: .chunk, range: range, cluster: cluster))
                }
            }
        }
        return output
    }

    func consume(_ output: SinkOutput) throws {
        try output.chunk.bytes.withUnsafeBytes { chunk in
            try output.encoded.withUnsafeBytes { encoded in
                // Clusters stored as they are and next to each other in the chunk go out in one append.
                var run: (first: UInt64, range: Range<Int>)?
                func flushRun() throws {
                    if let pending = run { try writer.appendClusters(from: pending.first, bytes: UnsafeRawBufferPointer(rebasing: chunk[pending.range])) }
                    run = nil
                }
                for piece in output.pieces {
                    if piece.compressed {
                        try flushRun()
                        try writer.appendCompressed(piece.cluster, bytes: UnsafeRawBufferPointer(rebasing: encoded[piece.range]))
                    } else if let pending = run, pending.range.upperBound == piece.range.lowerBound {
                        run = (pending.first, pending.range.lowerBound..<piece.range.upperBound)
                    } else {
                        try flushRun()
                        run = (piece.cluster, piece.range)
                    }
                }
                try flushRun()
            }
        }
    }

    func finish() throws { try writer.finish() }
}

/// One worker's compressor for qcow2 clusters: deflate (qemu's 4 KiB window) or zstd.
final class ClusterCompressor {
    private let deflate: DeflateCompressor?
    private let zstd: ZstdCompressor?
    private var scratch: [UInt8] = []

    init(_ kind: ClusterCompression) {
        deflate = kind == .deflate ? DeflateCompressor(windowBits: 12) : nil
        zstd = kind == .zstd ? ZstdCompressor() : nil
    }

    /// Compresses one cluster and appends the result to `output`.
    /// - Returns: where it landed in `output`, or nil when it would not be shorter than a cluster, or when
    ///   deflate is not even tried because the cluster looks incompressible (zstd detects that itself).
    func compress(_ cluster: UnsafeRawBufferPointer, clusterSize: Int, appendingTo output: inout [UInt8]) -> Range<Int>? {
        if deflate != nil, looksIncompressible(cluster) { return nil }
        if scratch.count < clusterSize - 1 { scratch = [UInt8](repeating: 0, count: clusterSize - 1) }
        let length = scratch.withUnsafeMutableBytes { raw -> Int? in
            let target = UnsafeMutableRawBufferPointer(rebasing: raw[..<(clusterSize - 1)])
            return deflate?.compress(cluster, into: target) ?? zstd?.compress(cluster, into: target)
        }
        guard let length else { return nil }
        let start = output.count
        output += scratch[..<length]
        return start..<start + length
    }
}
