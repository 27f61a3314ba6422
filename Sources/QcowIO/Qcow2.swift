/// The qcow2 format (qemu's docs/interop/qcow2.txt), big-endian throughout.
///
/// ```
///  offset  size  field (version 2 ends at 72; version 3 adds the rest)
///       0     4  magic "QFI\xfb"
///       4     4  version (2 or 3)
///       8     8  backing_file_offset          16  4  backing_file_size
///      20     4  cluster_bits (9…21)          24  8  size (virtual, bytes)
///      32     4  crypt_method                 36  4  l1_size
///      40     8  l1_table_offset              48  8  refcount_table_offset
///      56     4  refcount_table_clusters      60  4  nb_snapshots
///      64     8  snapshots_offset
///      72     8  incompatible_features        80  8  compatible_features
///      88     8  autoclear_features           96  4  refcount_order
///     100     4  header_length               104  1  compression_type (0 zlib, 1 zstd)
///  header_length …  extensions: {u32 type, u32 length, data, padding to 8}, type 0 ends them
/// ```
///
/// Guest clusters map through the L1 table (one entry per L2 table) and L2 tables (one cluster each, one
/// entry per guest cluster) to host clusters; the refcount table points to refcount blocks (one cluster
/// each) that count the references to every host cluster. `Qcow2Writer` lays a file out in the order it
/// writes it:
///
/// ```
///  cluster 0          header (written last)
///  …                  data clusters (compressed ones packed byte by byte), each L2 table right after the
///                     guest range it maps, each refcount block right after the host range it counts fills
///  end                L1 table, refcount table, the last refcount blocks
/// ```
public enum Qcow2 {
    static let magic: UInt32 = 0x5146_49FB
    static let backingFormatExtension: UInt32 = 0xE279_2ACA
    /// Bits 9–55 of L1 and standard L2 entries: a host offset.
    static let offsetMask: UInt64 = 0x00FF_FFFF_FFFF_FE00
    /// L1/L2 entry bit 63: the table or cluster has refcount exactly 1.
    static let copied: UInt64 = 1 << 63
    /// L2 entry bit 62: a compressed cluster.
    static let compressed: UInt64 = 1 << 62
    /// Standard L2 entry bit 0 (version 3): reads as zeros.
    static let zeroFlag: UInt64 = 1
    /// qemu's limits: 32 MiB of L1 table, 8 MiB of refcount table.
    static let maximumL1Bytes = 32 << 20
    static let maximumRefcountTableBytes = 8 << 20

    /// Incompatible feature bits (refuse what is not known).
    enum Incompatible {
        static let dirty: UInt64 = 1 << 0
        static let corrupt: UInt64 = 1 << 1
        static let externalData: UInt64 = 1 << 2
        static let compressionType: UInt64 = 1 << 3
        static let extendedL2: UInt64 = 1 << 4
        static let known: UInt64 = dirty | corrupt | externalData | compressionType | extendedL2
    }
}

extension UnsafeRawBufferPointer {
    /// The big-endian 64-bit word at `index * 8`.
    func bigEndianWord(_ index: Int) -> UInt64 {
        UInt64(bigEndian: loadUnaligned(fromByteOffset: index * 8, as: UInt64.self))
    }
}

extension Array where Element == UInt64 {
    /// The words as big-endian bytes.
    var bigEndianBytes: [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count * 8)
        bytes.withUnsafeMutableBytes { raw in
            for (index, word) in enumerated() { raw.storeBytes(of: word.bigEndian, toByteOffset: index * 8, as: UInt64.self) }
        }
        return bytes
    }
}

/// Big-endian reads from a byte buffer, bounds-checked.
struct BigEndianReader {
    let bytes: [UInt8]

    func u8(_ offset: Int) -> UInt8? { offset < bytes.count ? bytes[offset] : nil }

    func u32(_ offset: Int) -> UInt32? {
        guard offset >= 0, offset + 4 <= bytes.count else { return nil }
        return bytes[offset..<offset + 4].reduce(0) { $0 << 8 | UInt32($1) }
    }

    func u64(_ offset: Int) -> UInt64? {
        guard offset >= 0, offset + 8 <= bytes.count else { return nil }
        return bytes[offset..<offset + 8].reduce(0) { $0 << 8 | UInt64($1) }
    }
}
