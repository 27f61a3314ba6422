internal import Foundation

/// Whether `bytes` look like already-compressed or random data, judged by their order-0 entropy: at 7.95
/// bits a byte or more, Huffman coding could save at most 0.6 %, less than a 512-byte sector of a 64 KiB
/// cluster, so deflate (the slow part of writing compressed qcow2, and gzip) is not worth running. Costs one
/// pass over the bytes, about a hundredth of deflating them.
func looksIncompressible(_ bytes: UnsafeRawBufferPointer) -> Bool {
    guard bytes.count >= 4096 else { return false }
    return withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 256) { counts in
        counts.initialize(repeating: 0)
        for byte in bytes { counts[Int(byte)] &+= 1 }
        let total = Double(bytes.count)
        var entropy = 0.0
        for count in counts where count > 0 {
            let share = Double(count) / total
            entropy -= share * log2(share)
        }
        return entropy >= 7.95
    }
}
