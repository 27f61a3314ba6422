import Foundation
import TestSupport
import Testing

@testable import ImageBuild

@Suite("DiskAssembler: GPT, filesystem and boot loader written from the host")
struct DiskAssemblerTests {
    /// A work folder with a root tree holding what the vm element's finalise hook leaves for the disk.
    struct Fixture {
        let folder = URL(fileURLWithPath: "/var/tmp/dibkit-disk-\(UUID().uuidString.prefix(8))")
        var root: URL { folder.appendingPathComponent("root") }
        var disk: URL { folder.appendingPathComponent("disk.raw") }
        var uuid = UUID().uuidString.lowercased()

        /// boot.img is 512 bytes of 0xEB; core.img three sectors of 0xC0; core.efi a short text.
        func makeTree(withBootImages: Bool = true) throws {
            try FileManager.default.createDirectory(at: root.appendingPathComponent("etc"), withIntermediateDirectories: true)
            try Data("hello\n".utf8).write(to: root.appendingPathComponent("etc/greeting"))
            guard withBootImages else { return }
            for platform in ["i386-pc", "x86_64-efi"] {
                try FileManager.default.createDirectory(
                    at: root.appendingPathComponent("boot/grub/\(platform)"), withIntermediateDirectories: true)
            }
            try Data(repeating: 0xEB, count: 512).write(to: root.appendingPathComponent("boot/grub/i386-pc/boot.img"))
            try Data(repeating: 0xC0, count: 3 * 512).write(to: root.appendingPathComponent("boot/grub/i386-pc/core.img"))
            try Data("EFI application\n".utf8).write(to: root.appendingPathComponent("boot/grub/x86_64-efi/core.efi"))
        }

        func assembler(sourceDateEpoch: UInt64? = nil) throws -> DiskAssembler {
            DiskAssembler(
                root: root, disk: disk, size: 256 << 20, rootUUID: uuid, sourceDateEpoch: sourceDateEpoch,
                log: try BuildLog(directory: folder, name: "test"))
        }

        func bytes(at offset: UInt64, count: Int) throws -> [UInt8] {
            let handle = try FileHandle(forReadingFrom: disk)
            defer { try? handle.close() }
            try handle.seek(toOffset: offset)
            return Array(try handle.read(upToCount: count) ?? Data())
        }
    }

    @Test("GPT: root as partition 1 at 64 MiB to the end, BIOS boot 14 and ESP 15 in front; ext4 with the pinned features and the tree's files")
    func writesFilesystem() async throws {
        let fixture = Fixture()
        defer { try? FileManager.default.removeItem(at: fixture.folder) }
        try fixture.makeTree(withBootImages: false)
        try await fixture.assembler().writeFilesystem(workDirectory: fixture.folder)

        let table = try shell("sfdisk --json \(fixture.disk.path)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(table.utf8)) as? [String: Any])
        let partitionTable = try #require(json["partitiontable"] as? [String: Any])
        #expect(partitionTable["label"] as? String == "gpt")
        #expect((partitionTable["id"] as? String)?.lowercased() == DiskLayout.derivedUUID(from: fixture.uuid, role: "disk"))
        let partitions = try #require(partitionTable["partitions"] as? [[String: Any]])
        let byNode = Dictionary(uniqueKeysWithValues: partitions.map { (String(($0["node"] as? String ?? "").dropFirst(fixture.disk.path.count)), $0) })
        #expect(byNode["1"]?["start"] as? Int == 131_072)
        #expect(byNode["1"]?["type"] as? String == DiskLayout.linuxFilesystemType)
        #expect(byNode["14"]?["start"] as? Int == 2048)
        #expect(byNode["14"]?["type"] as? String == DiskLayout.biosBootType)
        #expect(byNode["15"]?["start"] as? Int == 4096)
        #expect(byNode["15"]?["type"] as? String == DiskLayout.espType)
        let rootStart = try #require(byNode["1"]?["start"] as? Int), rootSize = try #require(byNode["1"]?["size"] as? Int)
        #expect(rootStart + rootSize == (256 << 20) / 512 - 33, "the root runs to the sector before the backup GPT")
        // sfdisk --verify finds nothing wrong (partitions inside the disk, no overlap, both headers sane).
        #expect(try shell("sfdisk --verify \(fixture.disk.path) 2>&1 >/dev/null; echo $?").hasSuffix("0\n"))

        let fs = "\(fixture.folder.path)/fs.img"
        let header = try shell("dd if=\(fixture.disk.path) of=\(fs) bs=1M skip=64 status=none && dumpe2fs -h \(fs) 2>/dev/null")
        #expect(header.contains("Filesystem UUID:          \(fixture.uuid)"))
        let features = header.split(separator: "\n").first { $0.hasPrefix("Filesystem features:") } ?? ""
        for feature in ["ext_attr", "metadata_csum", "extent", "64bit"] { #expect(features.contains(feature)) }
        for feature in ["orphan_file", "metadata_csum_seed"] { #expect(!features.contains(feature)) }
        let backup = try shell("dumpe2fs -h -o superblock=32768 -o blocksize=4096 \(fs) 2>/dev/null | grep '^Filesystem features:'")
        #expect(backup.trimmingCharacters(in: .newlines) == String(features))
        #expect(try shell("debugfs -R 'cat /etc/greeting' \(fs) 2>/dev/null") == "hello\n")
        #expect(try shell("e2fsck -fn \(fs) >/dev/null 2>&1 && echo clean") == "clean\n")
    }

    @Test("boot.img's code in the MBR pointing at core.img in partition 14, the partition table kept; core.efi as BOOTX64.EFI on a FAT32 ESP")
    func placesBootLoader() async throws {
        let fixture = Fixture()
        defer { try? FileManager.default.removeItem(at: fixture.folder) }
        try fixture.makeTree()
        let assembler = try fixture.assembler()
        try await assembler.writeFilesystem(workDirectory: fixture.folder)
        let tableBefore = try fixture.bytes(at: 0x1B8, count: 512 - 0x1B8)
        try await assembler.installBootloader()

        let mbr = try fixture.bytes(at: 0, count: 512)
        #expect(mbr[0..<0x5C].allSatisfy { $0 == 0xEB })
        #expect(Array(mbr[0x5C..<0x64]) == [0x00, 0x08, 0, 0, 0, 0, 0, 0], "core.img's LBA, 2048, little-endian")
        #expect(mbr[0x64] == 0xFF)
        #expect(Array(mbr[0x66..<0x68]) == [0x90, 0x90])
        #expect(mbr[0x68..<0x1B8].allSatisfy { $0 == 0xEB })
        #expect(Array(mbr[0x1B8...]) == tableBefore, "disk signature, protective MBR entry and 0x55AA untouched")
        let core = try fixture.bytes(at: 2048 * 512, count: 3 * 512)
        #expect(Array(core[500..<508]) == [0x01, 0x08, 0, 0, 0, 0, 0, 0], "the first block list starts at 2049")
        #expect(core[0..<500].allSatisfy { $0 == 0xC0 } && core[508...].allSatisfy { $0 == 0xC0 })
        #expect(try shell("sfdisk --verify \(fixture.disk.path) 2>&1 >/dev/null; echo $?").hasSuffix("0\n"))

        let volume = "\(fixture.disk.path)@@\(2048 * 1024)"
        #expect(try shell("MTOOLS_SKIP_CHECK=1 mtype -i \(volume) ::/EFI/BOOT/BOOTX64.EFI") == "EFI application\n")
        let info = try shell("MTOOLS_SKIP_CHECK=1 minfo -i \(volume) ::")
        #expect(info.contains("disk type=\"FAT32   \""), "\(info)")
        let volumeID = DiskLayout(diskBytes: 256 << 20, rootUUID: fixture.uuid).espVolumeID
        #expect(info.lowercased().contains("serial number: \(volumeID)"), "\(info)")
    }

    @Test("a tree without GRUB's images fails naming the file and the vm element")
    func missingBootImages() async throws {
        let fixture = Fixture()
        defer { try? FileManager.default.removeItem(at: fixture.folder) }
        try fixture.makeTree(withBootImages: false)
        let assembler = try fixture.assembler()
        try await assembler.writeFilesystem(workDirectory: fixture.folder)
        let error = await #expect(throws: BuildError.self) { try await assembler.installBootloader() }
        #expect(error?.description.contains("/boot/grub/x86_64-efi/core.efi") == true)
        #expect(error?.description.contains("vm") == true)
    }

    @Test("GUIDs derive from the root UUID: the same one gives the same table, another a different one")
    func derivedGUIDs() {
        let first = DiskLayout(diskBytes: 3 << 30, rootUUID: "0f8a4f5c-3a59-4ac4-9a5f-2f7f1d2b8c11")
        let again = DiskLayout(diskBytes: 3 << 30, rootUUID: "0F8A4F5C-3A59-4AC4-9A5F-2F7F1D2B8C11")
        let other = DiskLayout(diskBytes: 3 << 30, rootUUID: "1f8a4f5c-3a59-4ac4-9a5f-2f7f1d2b8c11")
        #expect(first.sfdiskScript(device: "d") == again.sfdiskScript(device: "d"))
        #expect(first.sfdiskScript(device: "d") != other.sfdiskScript(device: "d"))
        let uuid = DiskLayout.derivedUUID(from: first.rootUUID, role: "root")
        #expect(uuid.range(of: "^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$", options: .regularExpression) != nil)
        #expect(first.espVolumeID.count == 8)
    }

    @Test("with SOURCE_DATE_EPOCH, the same tree written at two moments gives the same disk, byte for byte; without it, not")
    func reproducibleDisk() async throws {
        let epoch: UInt64 = 1_767_225_600
        func disk(epoch: UInt64?) async throws -> (Fixture, Data) {
            let fixture = Fixture(uuid: "0f8a4f5c-3a59-4ac4-9a5f-2f7f1d2b8c11")
            try fixture.makeTree()
            if let epoch { try await Sysprep.clampTimes(root: fixture.root, to: epoch) }
            let assembler = try fixture.assembler(sourceDateEpoch: epoch)
            try await assembler.writeFilesystem(workDirectory: fixture.folder)
            try await assembler.installBootloader()
            return (fixture, try Data(contentsOf: fixture.disk))
        }
        let (first, firstBytes) = try await disk(epoch: epoch)
        defer { try? FileManager.default.removeItem(at: first.folder) }
        // Another second: other change, access and modification times in the tree, another mkfs time.
        try await Task.sleep(for: .milliseconds(1100))
        let (second, secondBytes) = try await disk(epoch: epoch)
        defer { try? FileManager.default.removeItem(at: second.folder) }
        #expect(firstBytes == secondBytes)
        let dump = try runCommand(["dumpe2fs", "-h", "\(second.disk.path)?offset=\(64 << 20)"])
        #expect(dump.output.contains("Filesystem created:       Thu Jan  1 00:00:00 2026"), "\(dump.output)")
        #expect(dump.output.contains("Directory Hash Seed:      \(DiskLayout(diskBytes: 256 << 20, rootUUID: second.uuid).hashSeed)"))

        try await Task.sleep(for: .milliseconds(1100))
        let (unpinned, unpinnedBytes) = try await disk(epoch: nil)
        defer { try? FileManager.default.removeItem(at: unpinned.folder) }
        #expect(unpinnedBytes != secondBytes, "without SOURCE_DATE_EPOCH the filesystems carry the time they were made")
    }

    @Test("the inodes dumpe2fs shows in use: each group's less its free ranges; debugfs's time format")
    func usedInodes() {
        let dump = """
            Inode count:              32
            Inodes per group:         16

            Group 0: (Blocks 0-8191) csum 0x1234 [ITABLE_ZEROED]
              Free inodes: 13-14, 16
            Group 1: (Blocks 8192-16383) csum 0x5678 [INODE_UNINIT]
              Free inodes: 17-32
            """
        #expect(InodeTimes.usedInodes(inDump: dump) == Array(1...12) + [15])
        #expect(InodeTimes.timestamp(1_767_225_600) == "20260101000000")
    }
}
