internal import Foundation

/// A fixed-size piece of the guest disk, read front to back.
struct GuestChunk {
    var offset: UInt64
    /// Bytes of the guest in this chunk: the chunk size, less for the last one, a multiple of it for a run
    /// of zeros.
    var length: Int
    /// True when the whole chunk is known to read as zeros; `bytes` then holds nothing useful.
    var isKnownZero: Bool
    /// The chunk's guest bytes, zero-padded to the chunk size, unless `isKnownZero`.
    var bytes: [UInt8]
}

/// Reads a guest disk front to back in chunks, reading only what may hold data (known-zero runs are
/// zero-filled, never read). Buffers come back through `recycle` so memory stays bounded.
final class GuestChunks {
    private let reader: any GuestReader
    let chunkSize: Int
    private var offset: UInt64 = 0
    private var spare: [[UInt8]] = []
    private let spareLock = NSLock()

    init(reader: any GuestReader, chunkSize: Int) {
        self.reader = reader
        self.chunkSize = chunkSize
    }

    /// The next chunk, or nil after the last. A run of whole chunks known to be zeros comes as one chunk,
    /// so a huge sparse disk costs little to walk.
    func next() throws -> GuestChunk? {
        guard offset < reader.virtualSize else { return nil }
        let length = Int(min(UInt64(chunkSize), reader.virtualSize - offset))
        if length == chunkSize, try reader.extent(at: offset, limit: UInt64(chunkSize)) == GuestExtent(length: UInt64(chunkSize), isZero: true) {
            let run = try reader.extent(at: offset, limit: reader.virtualSize - offset).length / UInt64(chunkSize) * UInt64(chunkSize)
            defer { offset += run }
            return GuestChunk(offset: offset, length: Int(run), isKnownZero: true, bytes: [])
        }
        var chunk = GuestChunk(offset: offset, length: length, isKnownZero: true, bytes: spareLock.withLock { spare.popLast() } ?? [])
        var done = 0
        while done < length {
            let extent = try reader.extent(at: offset + UInt64(done), limit: UInt64(length - done))
            let take = Int(extent.length)
            if !extent.isZero || !chunk.isKnownZero {
                if chunk.bytes.count < chunkSize { chunk.bytes = [UInt8](repeating: 0, count: chunkSize) }
                try chunk.bytes.withUnsafeMutableBytes { raw in
                    let target = UnsafeMutableRawBufferPointer(rebasing: raw[done..<done + take])
                    if extent.isZero {
                        target.initializeMemory(as: UInt8.self, repeating: 0)
                    } else {
                        if chunk.isKnownZero { UnsafeMutableRawBufferPointer(rebasing: raw[..<done]).initializeMemory(as: UInt8.self, repeating: 0) }
                        try reader.read(at: offset + UInt64(done), into: target)
                    }
                }
                chunk.isKnownZero = chunk.isKnownZero && extent.isZero
            }
            done += take
        }
        // A short last chunk reads as zeros past its end, so whole clusters can be taken from it.
        if !chunk.isKnownZero, length < chunkSize {
            chunk.bytes.withUnsafeMutableBytes { _ = UnsafeMutableRawBufferPointer(rebasing: $0[length...]).initializeMemory(as: UInt8.self, repeating: 0) }
        }
        offset += UInt64(length)
        return chunk
    }

    /// Gives a chunk's buffer back for reuse; may be called from any thread.
    func recycle(_ chunk: GuestChunk) {
        guard chunk.bytes.count >= chunkSize else { return }
        spareLock.withLock { spare.append(chunk.bytes) }
    }
}
