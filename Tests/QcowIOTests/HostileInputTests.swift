import Foundation
import QcowIO
import Testing

/// Damage done on purpose to an image dibkit wrote (64 KiB clusters; guest cluster 16 holds random data,
/// guest cluster 128 text, compressed when the image is).
enum Damage: String, CaseIterable, Sendable {
    case l1EntryBeyondFile, l1EntryMisaligned, l1TableOverHeader, l2EntryBeyondFile, dataClusterIsL2Table
    case compressedBeyondFile, compressedGarbage, refcountBlockMisaligned, refcountBlockBeyondFile

    var compressed: Bool { [.compressedBeyondFile, .compressedGarbage].contains(self) }

    /// `qemu-img check`'s exit status: 2 (corrupt), except that qemu 7.2 gives up on a misaligned refcount
    /// block with 1 ("check failed": it cannot read any refcount), where dibkit reports the corruption.
    var qemuCheckStatus: Int32 { self == .refcountBlockMisaligned ? 1 : 2 }

    func apply(to folder: ImageFolder, image: String) throws {
        let l1: UInt64 = try folder.peek(image, at: 40)
        let l2 = try folder.peek(image, at: l1, as: UInt64.self) & 0x00FF_FFFF_FFFF_FE00
        let refcountTable: UInt64 = try folder.peek(image, at: 48)
        switch self {
        case .l1EntryBeyondFile: try folder.patch(image, at: l1, UInt64(1) << 40 | 1 << 63)
        case .l1EntryMisaligned: try folder.patch(image, at: l1, l2 + 4096 | 1 << 63)
        case .l1TableOverHeader: try folder.patch(image, at: 40, UInt64(0))
        case .l2EntryBeyondFile: try folder.patch(image, at: l2 + 16 * 8, UInt64(1) << 40 | 1 << 63)
        case .dataClusterIsL2Table: try folder.patch(image, at: l2 + 16 * 8, l2 | 1 << 63)
        case .compressedBeyondFile: try folder.patch(image, at: l2 + 128 * 8, UInt64(1) << 62 | 1 << 40)
        case .compressedGarbage: try folder.patch(image, at: l2 + 128 * 8, UInt64(1) << 62 | 3 << 54 | 8)
        case .refcountBlockMisaligned: try folder.patch(image, at: refcountTable, UInt64(65536 + 4096))
        case .refcountBlockBeyondFile: try folder.patch(image, at: refcountTable, UInt64(1) << 44)
        }
    }
}

@Suite("QcowIO on hostile input: errors, never a crash, a hang or a huge allocation")
struct HostileInputTests {
    @Test("damaged tables: check finds a corruption as qemu-img check does; reading fails cleanly or reads what the tables say",
          arguments: Damage.allCases)
    func damagedTables(damage: Damage) async throws {
        let folder = try ImageFolder()
        try folder.makeSource()
        try await folder.convert("source.raw", "image.qcow2", ConvertOptions(compression: damage.compressed ? .zstd : nil))
        try damage.apply(to: folder, image: "image.qcow2")
        let report = try QcowIO.check(folder.path("image.qcow2"))
        #expect(report.corruptions > 0)
        #expect(report.exitCode == 2)
        #expect(try folder.status(["qemu-img", "check", "image.qcow2"]) == damage.qemuCheckStatus)
        do {
            try await folder.convert("image.qcow2", "out.raw", ConvertOptions(format: .raw))
            // Only damage that leaves every table inside the file may read.
            #expect([.dataClusterIsL2Table, .refcountBlockMisaligned, .refcountBlockBeyondFile, .l1TableOverHeader].contains(damage))
        } catch {
            #expect(error is QcowError)
            #expect(!FileManager.default.fileExists(atPath: folder.path("out.raw").path))
        }
    }

    @Test("a 256 TiB sparse disk converts and checks in one pass over its L1 table, not its clusters")
    func hugeSparseDisk() async throws {
        let folder = try ImageFolder()
        try folder.run(["qemu-img", "create", "-q", "-f", "qcow2", "-o", "cluster_size=2M", "huge.qcow2", "256T"])
        try folder.run(["qemu-io", "-f", "qcow2", "-c", "write -P 0x5a 100T 64k", "huge.qcow2"])
        let result = try await folder.convert("huge.qcow2", "out.qcow2", ConvertOptions(compression: .zstd))
        #expect(result.virtualSize == 256 << 40)
        #expect(result.fileSize < 8 << 20)
        #expect(try folder.status(["qemu-img", "compare", "-q", "huge.qcow2", "out.qcow2"]) == 0)
        #expect(try QcowIO.check(folder.path("out.qcow2")).allocatedClusters == 1)
    }

    @Test("hostile header fields are refused by name before anything is allocated", arguments: [
        (24, UInt64(1) << 61, "l1_size"),               // a 2 EiB disk with a small L1 table
        (36, UInt64(0x7FFF_FFFF) << 32, "l1_size"),     // 2^31 L1 entries: over qemu's 32 MiB
        (56, UInt64(0xFFFF_FFFF) << 32, "refcount_table_clusters"),
        (96, UInt64(7) << 32 | 112, "refcount_order"),    // header_length kept at 112
    ])
    func hostileHeader(offset: UInt64, value: UInt64, field: String) async throws {
        let folder = try ImageFolder()
        try folder.run(["qemu-img", "create", "-q", "-f", "qcow2", "image.qcow2", "1G"])
        // Patch 8 bytes at the field: 4-byte fields sit in the high half.
        try folder.patch("image.qcow2", at: offset, value)
        try await expectRefused(folder, naming: field)
    }

    /// `info`, `check` and `convert` of `image.qcow2` in `folder` each fail with a `QcowError` naming `field`,
    /// and nothing is written.
    func expectRefused(_ folder: ImageFolder, naming field: String) async throws {
        for attempt in 0..<3 {
            do {
                switch attempt {
                case 0: _ = try QcowIO.info(of: folder.path("image.qcow2"))
                case 1: _ = try QcowIO.check(folder.path("image.qcow2"))
                default: try await folder.convert("image.qcow2", "out.raw", ConvertOptions(format: .raw))
                }
                Issue.record("\(field) was accepted")
            } catch {
                #expect(error is QcowError)
                #expect(String(describing: error).contains(field))
            }
        }
        #expect(try folder.files() == ["image.qcow2"])
    }

    @Test("a backing_file_offset near Int.max is refused by name, not a trap")
    func backingOffsetOverflow() async throws {
        let folder = try ImageFolder()
        try folder.run(["qemu-img", "create", "-q", "-f", "qcow2", "image.qcow2", "1G"])
        try folder.patch("image.qcow2", at: 8, UInt64(Int.max) - 8)
        try folder.patch("image.qcow2", at: 16, UInt32(100))
        try await expectRefused(folder, naming: "backing_file_offset")
    }
}
