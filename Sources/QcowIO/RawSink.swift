/// Conversion into a sparse raw file: zero runs (checked per 64 KiB block) become holes.
final class RawSink: ConversionSink {
    private let file: ImageFile
    private let virtualSize: UInt64
    private static let block = 64 << 10
    let chunkSize = 4 << 20

    init(file: ImageFile, virtualSize: UInt64) {
        self.file = file
        self.virtualSize = virtualSize
    }

    func transform(_ chunk: GuestChunk, worker: Int) throws -> SinkOutput {
        var output = SinkOutput(chunk: chunk, pieces: [], encoded: [])
        guard !chunk.isKnownZero else { return output }
        chunk.bytes.withUnsafeBytes { raw in
            for start in stride(from: 0, to: chunk.length, by: Self.block) {
                let range = start..<min(start + Self.block, chunk.length)
                guard !isAllZero(UnsafeRawBufferPointer(rebasing: raw[range])) else { continue }
                if let last = output.pieces.last, last.range.upperBound == start {
                    output.pieces[output.pieces.count - 1].range = last.range.lowerBound..<range.upperBound
                } else {
                    output.pieces.append(.init(source: .chunk, range: range))
                }
            }
        }
        return output
    }

    func consume(_ output: SinkOutput) throws {
        try output.chunk.bytes.withUnsafeBytes { raw in
            for piece in output.pieces {
                try file.write(UnsafeRawBufferPointer(rebasing: raw[piece.range]), at: output.chunk.offset + UInt64(piece.range.lowerBound))
            }
        }
    }

    func finish() throws { try file.truncate(to: virtualSize) }
}
