/// Whether every byte of `bytes` is zero, compared a machine word at a time.
func isAllZero(_ bytes: UnsafeRawBufferPointer) -> Bool {
    guard let base = bytes.baseAddress else { return true }
    let words = bytes.count / 8
    var index = 0
    // Eight words per step, OR-ed together: one branch per 64 bytes, and it stops at the first non-zero block.
    while index + 8 <= words {
        var folded: UInt64 = 0
        for lane in 0..<8 { folded |= base.loadUnaligned(fromByteOffset: (index + lane) * 8, as: UInt64.self) }
        if folded != 0 { return false }
        index += 8
    }
    while index < words {
        if base.loadUnaligned(fromByteOffset: index * 8, as: UInt64.self) != 0 { return false }
        index += 1
    }
    for offset in words * 8..<bytes.count where bytes[offset] != 0 { return false }
    return true
}
