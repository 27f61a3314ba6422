extension Qcow2 {
    /// A parsed and range-checked qcow2 header with its extensions.
    public struct Header: Sendable, Equatable {
        public var version: UInt32
        public var clusterBits: UInt32
        public var size: UInt64
        public var l1Size: UInt32
        public var l1TableOffset: UInt64
        public var refcountTableOffset: UInt64
        public var refcountTableClusters: UInt32
        public var snapshotCount: UInt32
        public var incompatibleFeatures: UInt64 = 0
        public var compatibleFeatures: UInt64 = 0
        public var autoclearFeatures: UInt64 = 0
        public var refcountOrder: UInt32 = 4
        public var headerLength: UInt32 = 72
        /// 0 zlib (deflate), 1 zstd.
        public var compressionType: UInt8 = 0
        public var backingFile: String?
        public var backingFormat: String?

        public var clusterSize: Int { 1 << Int(clusterBits) }
        public var extendedL2: Bool { incompatibleFeatures & Incompatible.extendedL2 != 0 }

        /// Parses the header in `bytes` (the file's first bytes, at least up to the end of its first cluster
        /// or of the file). `fileSize` bounds every table offset.
        /// - Throws: `QcowError.malformed` naming the field, `QcowError.unsupported` for encryption,
        ///   external data files and unknown incompatible features.
        public static func parse(_ bytes: [UInt8], fileSize: UInt64, path: String) throws -> Header {
            let reader = BigEndianReader(bytes: bytes)
            func bad(_ field: String, _ reason: String) -> QcowError { .malformed(path: path, field: field, reason: reason) }
            guard let magic = reader.u32(0), magic == Qcow2.magic else { throw bad("magic", "is not QFI\\xfb") }
            guard let version = reader.u32(4), let backingOffset = reader.u64(8), let backingSize = reader.u32(16),
                let clusterBits = reader.u32(20), let size = reader.u64(24), let crypt = reader.u32(32),
                let l1Size = reader.u32(36), let l1Offset = reader.u64(40), let refcountOffset = reader.u64(48),
                let refcountClusters = reader.u32(56), let snapshots = reader.u32(60)
            else { throw bad("header", "is truncated (\(bytes.count) bytes)") }
            guard version == 2 || version == 3 else { throw bad("version", "is \(version); only 2 and 3 exist") }
            guard (9...21).contains(clusterBits) else { throw bad("cluster_bits", "is \(clusterBits); must be 9…21") }
            guard crypt == 0 else { throw QcowError.unsupported(path: path, feature: "encryption (crypt_method \(crypt))") }
            guard size <= 1 << 61 else { throw bad("size", "is \(size) bytes, beyond any image qemu can make") }
            var header = Header(
                version: version, clusterBits: clusterBits, size: size, l1Size: l1Size, l1TableOffset: l1Offset,
                refcountTableOffset: refcountOffset, refcountTableClusters: refcountClusters, snapshotCount: snapshots)
            let cluster = UInt64(header.clusterSize)
            let entriesPerL2 = UInt64(header.clusterSize / 8)
            let neededL1 = (size + cluster * entriesPerL2 - 1) / (cluster * entriesPerL2)
            guard UInt64(l1Size) >= neededL1 else { throw bad("l1_size", "is \(l1Size); the disk size needs \(neededL1)") }
            guard Int(l1Size) <= Qcow2.maximumL1Bytes / 8 else { throw bad("l1_size", "is \(l1Size) entries, over qemu's 32 MiB L1 limit") }
            guard UInt64(refcountClusters) * cluster <= UInt64(Qcow2.maximumRefcountTableBytes) else {
                throw bad("refcount_table_clusters", "is \(refcountClusters), over qemu's 8 MiB refcount table limit")
            }
            for (field, offset, length) in [("l1_table_offset", l1Offset, UInt64(l1Size) * 8),
                                            ("refcount_table_offset", refcountOffset, UInt64(refcountClusters) * cluster)] {
                guard offset % cluster == 0 else { throw bad(field, "\(offset) is not cluster-aligned") }
                guard offset.addingReportingOverflow(length).partialValue <= fileSize, offset < fileSize || length == 0 else {
                    throw bad(field, "\(offset) + \(length) bytes lies beyond the end of the file (\(fileSize) bytes)")
                }
            }
            if version == 3 {
                guard let incompatible = reader.u64(72), let compatible = reader.u64(80), let autoclear = reader.u64(88), let order = reader.u32(96),
                    let length = reader.u32(100)
                else { throw bad("header", "is truncated (version 3 needs 104 bytes)") }
                guard length >= 104, length % 8 == 0 || length == 104, Int(length) <= bytes.count else {
                    throw bad("header_length", "is \(length)")
                }
                guard order <= 6 else { throw bad("refcount_order", "is \(order); must be 0…6") }
                let unknown = incompatible & ~Incompatible.known
                guard unknown == 0 else { throw QcowError.unsupported(path: path, feature: "incompatible feature bits 0x\(String(unknown, radix: 16))") }
                guard incompatible & Incompatible.externalData == 0 else { throw QcowError.unsupported(path: path, feature: "external data file") }
                if incompatible & Incompatible.extendedL2 != 0, clusterBits < 14 {
                    throw bad("cluster_bits", "is \(clusterBits); extended L2 entries need 14 or more")
                }
                header.incompatibleFeatures = incompatible
                header.compatibleFeatures = compatible
                header.autoclearFeatures = autoclear
                header.refcountOrder = order
                header.headerLength = length
                if length > 104, let type = reader.u8(104) {
                    guard type <= 1 else { throw bad("compression_type", "is \(type); 0 (zlib) and 1 (zstd) exist") }
                    header.compressionType = type
                }
            }
            try header.readExtensions(reader, bad: bad)
            if backingOffset != 0 {
                guard backingSize > 0, backingSize <= 1023, backingOffset < UInt64(bytes.count),
                    Int(backingOffset) + Int(backingSize) <= bytes.count
                else { throw bad("backing_file_offset", "\(backingOffset) with size \(backingSize) is outside the first cluster") }
                let start = Int(backingOffset)
                header.backingFile = String(decoding: bytes[start..<start + Int(backingSize)], as: UTF8.self)
            }
            return header
        }

        private mutating func readExtensions(_ reader: BigEndianReader, bad: (String, String) -> QcowError) throws {
            var offset = Int(headerLength)
            while true {
                guard let type = reader.u32(offset), let length = reader.u32(offset + 4) else {
                    throw bad("header extensions", "run past the first cluster")
                }
                if type == 0 { return }
                let start = offset + 8
                guard start + Int(length) <= reader.bytes.count else {
                    throw bad("header extension 0x\(String(type, radix: 16))", "of \(length) bytes runs past the first cluster")
                }
                if type == Qcow2.backingFormatExtension {
                    backingFormat = String(decoding: reader.bytes[start..<start + Int(length)], as: UTF8.self)
                }
                offset = start + (Int(length) + 7) / 8 * 8
            }
        }
    }
}
