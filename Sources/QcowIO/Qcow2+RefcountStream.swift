extension Qcow2 {
    /// Counts references to host clusters for a writer that allocates them in increasing order and never
    /// goes back: it keeps one refcount block (16-bit entries) in memory and hands each block back as
    /// finished once an allocation moves past its range.
    struct RefcountStream {
        /// Host clusters one refcount block counts.
        let entriesPerBlock: UInt64
        /// Index of the block being filled.
        private(set) var block: UInt64 = 0
        private var counts: [UInt16]

        init(clusterSize: Int) {
            entriesPerBlock = UInt64(clusterSize * 8 / 16)
            counts = [UInt16](repeating: 0, count: Int(entriesPerBlock))
        }

        /// The count so far of `cluster`, which must lie in the current block or later.
        func count(of cluster: UInt64) -> UInt16 {
            cluster / entriesPerBlock == block ? counts[Int(cluster % entriesPerBlock)] : 0
        }

        /// Adds one reference to `cluster` (never before the current block).
        /// - Returns: the blocks this finishes, as (index, big-endian bytes).
        mutating func reference(_ cluster: UInt64) -> [(index: UInt64, bytes: [UInt8])] {
            var finished: [(index: UInt64, bytes: [UInt8])] = []
            let target = cluster / entriesPerBlock
            precondition(target >= block, "refcounts are streamed in increasing cluster order")
            if target > block {
                finished.append((block, encoded()))
                counts = [UInt16](repeating: 0, count: counts.count)
                block = target
            }
            counts[Int(cluster % entriesPerBlock)] += 1
            return finished
        }

        /// The current block as big-endian bytes.
        func encoded() -> [UInt8] {
            var bytes = [UInt8](repeating: 0, count: counts.count * 2)
            bytes.withUnsafeMutableBytes { raw in
                for (index, count) in counts.enumerated() where count != 0 {
                    raw.storeBytes(of: count.bigEndian, toByteOffset: index * 2, as: UInt16.self)
                }
            }
            return bytes
        }
    }
}
