extension Qcow2 {
    /// A compressed cluster's L2 entry: bits 0…x−1 the host byte offset, bits x…61 the sectors after the
    /// first, x = 62 − (cluster_bits − 8).
    struct CompressedDescriptor: Equatable {
        var hostOffset: UInt64
        /// 512-byte sectors after the one holding `hostOffset`.
        var additionalSectors: UInt64

        init(entry: UInt64, clusterBits: UInt32) {
            let shift = Self.sectorShift(clusterBits)
            hostOffset = entry & ((1 << shift) - 1)
            additionalSectors = (entry >> shift) & ((1 << (62 - shift)) - 1)
        }

        /// Describes `length` compressed bytes at `hostOffset`.
        init(hostOffset: UInt64, length: Int) {
            self.hostOffset = hostOffset
            additionalSectors = (hostOffset + UInt64(length) - 1) / 512 - hostOffset / 512
        }

        static func sectorShift(_ clusterBits: UInt32) -> UInt64 { 62 - (UInt64(clusterBits) - 8) }

        /// The bytes the entry covers: from `hostOffset` to the end of its last sector.
        var length: Int { Int((additionalSectors + 1) * 512 - (hostOffset & 511)) }

        /// The L2 entry, or nil when the offset or length does not fit the fields.
        func entry(clusterBits: UInt32) -> UInt64? {
            let shift = Self.sectorShift(clusterBits)
            guard hostOffset < 1 << shift, additionalSectors < 1 << (62 - shift) else { return nil }
            return Qcow2.compressed | additionalSectors << shift | hostOffset
        }
    }
}

/// Decoded L2 tables, least recently loaded evicted first, at most 32 MiB of them.
struct L2TableCache {
    private var tables: [UInt64: [UInt64]] = [:]
    private var order: [UInt64] = []
    private var next = 0
    private let capacity: Int
    private let clusterSize: Int

    init(clusterSize: Int) {
        self.clusterSize = clusterSize
        capacity = max(4, (32 << 20) / clusterSize)
    }

    /// The table at host `offset`, loaded from `file` if not cached.
    mutating func table(at offset: UInt64, from file: ImageFile) throws -> [UInt64] {
        if let table = tables[offset] { return table }
        let bytes = try file.readBytes(count: clusterSize, at: offset)
        let table = bytes.withUnsafeBytes { raw in (0..<clusterSize / 8).map { raw.bigEndianWord($0) } }
        if order.count < capacity {
            order.append(offset)
        } else {
            tables[order[next]] = nil
            order[next] = offset
            next = (next + 1) % capacity
        }
        tables[offset] = table
        return table
    }
}
