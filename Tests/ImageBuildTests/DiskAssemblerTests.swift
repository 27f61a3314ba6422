import Foundation
import TestSupport
import Testing

@testable import ImageBuild

@Suite("DiskAssembler: partition table and filesystem without loop devices")
struct DiskAssemblerTests {
    @Test("one bootable partition at 1 MiB; ext4 with the pinned features, the tree's files, and identical backup superblocks")
    func writesFilesystem() async throws {
        let folder = URL(fileURLWithPath: "/var/tmp/dibkit-disk-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: folder) }
        let root = folder.appendingPathComponent("root")
        try FileManager.default.createDirectory(at: root.appendingPathComponent("etc"), withIntermediateDirectories: true)
        try Data("hello\n".utf8).write(to: root.appendingPathComponent("etc/greeting"))
        let disk = folder.appendingPathComponent("disk.raw")
        let uuid = UUID().uuidString.lowercased()
        let log = try BuildLog(directory: folder, name: "test")
        let assembler = DiskAssembler(root: root, disk: disk, size: 256 << 20, rootUUID: uuid, log: log)
        try await assembler.writeFilesystem(workDirectory: folder)

        let table = try shell("sfdisk --dump \(disk.path)")
        #expect(table.contains("start=        2048"))
        #expect(table.contains("bootable"))
        let header = try shell(
            "dd if=\(disk.path) of=\(folder.path)/fs.img bs=1M skip=1 status=none && dumpe2fs -h \(folder.path)/fs.img 2>/dev/null")
        #expect(header.contains("Filesystem UUID:          \(uuid)"))
        let features = header.split(separator: "\n").first { $0.hasPrefix("Filesystem features:") } ?? ""
        for feature in ["ext_attr", "metadata_csum", "extent", "64bit"] { #expect(features.contains(feature)) }
        for feature in ["orphan_file", "metadata_csum_seed"] { #expect(!features.contains(feature)) }
        let backup = try shell("dumpe2fs -h -o superblock=32768 -o blocksize=4096 \(folder.path)/fs.img 2>/dev/null | grep '^Filesystem features:'")
        #expect(backup.trimmingCharacters(in: .newlines) == String(features))
        #expect(try shell("debugfs -R 'cat /etc/greeting' \(folder.path)/fs.img 2>/dev/null") == "hello\n")
        #expect(try shell("e2fsck -fn \(folder.path)/fs.img >/dev/null 2>&1 && echo clean") == "clean\n")
    }
}
