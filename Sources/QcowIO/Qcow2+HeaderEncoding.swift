extension Qcow2.Header {
    /// The header `Qcow2Writer` writes: version 3, refcount order 4, no backing file, no snapshots; zstd
    /// images set the compression-type incompatible bit.
    static func forWriter(
        clusterBits: UInt32, size: UInt64, l1Size: UInt32, l1TableOffset: UInt64, refcountTableOffset: UInt64,
        refcountTableClusters: UInt32, compressionType: UInt8
    ) -> Qcow2.Header {
        var header = Qcow2.Header(
            version: 3, clusterBits: clusterBits, size: size, l1Size: l1Size, l1TableOffset: l1TableOffset,
            refcountTableOffset: refcountTableOffset, refcountTableClusters: refcountTableClusters, snapshotCount: 0)
        header.headerLength = 112
        header.compressionType = compressionType
        header.incompatibleFeatures = compressionType == 0 ? 0 : Qcow2.Incompatible.compressionType
        return header
    }

    /// The header's bytes, version 3 layout (header_length bytes), followed by the end-of-extensions marker.
    func encoded() -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: Int(headerLength) + 8)
        func put<T: FixedWidthInteger>(_ value: T, at offset: Int) {
            bytes.withUnsafeMutableBytes { $0.storeBytes(of: value.bigEndian, toByteOffset: offset, as: T.self) }
        }
        put(Qcow2.magic, at: 0)
        put(version, at: 4)
        put(clusterBits, at: 20)
        put(size, at: 24)
        put(l1Size, at: 36)
        put(l1TableOffset, at: 40)
        put(refcountTableOffset, at: 48)
        put(refcountTableClusters, at: 56)
        put(snapshotCount, at: 60)
        put(incompatibleFeatures, at: 72)
        put(compatibleFeatures, at: 80)
        put(refcountOrder, at: 96)
        put(headerLength, at: 100)
        bytes[104] = compressionType
        return bytes
    }
}
