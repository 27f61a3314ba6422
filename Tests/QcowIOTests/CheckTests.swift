import Foundation
import QcowIO
import Testing

@Suite("QcowIO check: leaks and corruptions, with qemu-img check's verdict and exit code")
struct CheckTests {
    /// An image dibkit wrote, and the offset of the refcount entry of host cluster 0 (the header).
    func writtenImage(_ folder: ImageFolder) async throws -> UInt64 {
        try folder.makeSource()
        try await folder.convert("source.raw", "image.qcow2", ConvertOptions(compression: .deflate))
        let table: UInt64 = try folder.peek("image.qcow2", at: 48)
        return try folder.peek("image.qcow2", at: table)
    }

    @Test("images qemu-img writes check clean", arguments: [
        [], ["-c"], ["-o", "cluster_size=512"], ["-o", "extended_l2=on"], ["-o", "refcount_bits=1"], ["-o", "refcount_bits=64"],
    ])
    func qemuImagesAreClean(options: [String]) throws {
        let folder = try ImageFolder()
        try folder.makeSource()
        try folder.run(["qemu-img", "convert", "-f", "raw", "-O", "qcow2"] + options + ["source.raw", "image.qcow2"])
        let report = try QcowIO.check(folder.path("image.qcow2"))
        #expect(report.exitCode == 0, "\(report.problems)")
        #expect(report.allocatedClusters > 0)
    }

    @Test("a refcount above the references is a leak: exit 3, as qemu-img check says")
    func leak() async throws {
        let folder = try ImageFolder()
        let refcountBlock = try await writtenImage(folder)
        try folder.patch("image.qcow2", at: refcountBlock, UInt16(2))
        let report = try QcowIO.check(folder.path("image.qcow2"))
        #expect(report.leaks == 1)
        #expect(report.corruptions == 0)
        #expect(report.exitCode == 3)
        #expect(try folder.status(["qemu-img", "check", "image.qcow2"]) == 3)
    }

    @Test("a refcount below the references is a corruption: exit 2, as qemu-img check says")
    func corruption() async throws {
        let folder = try ImageFolder()
        let refcountBlock = try await writtenImage(folder)
        try folder.patch("image.qcow2", at: refcountBlock, UInt16(0))
        let report = try QcowIO.check(folder.path("image.qcow2"))
        #expect(report.corruptions == 1)
        #expect(report.problems.first?.contains("cluster 0") == true)
        #expect(report.exitCode == 2)
        #expect(try folder.status(["qemu-img", "check", "image.qcow2"]) == 2)
    }

    @Test("an L2 table overlapping the refcount table is a corruption for both checks")
    func overlappingTables() async throws {
        let folder = try ImageFolder()
        _ = try await writtenImage(folder)
        let l1: UInt64 = try folder.peek("image.qcow2", at: 40)
        let refcountTable: UInt64 = try folder.peek("image.qcow2", at: 48)
        try folder.patch("image.qcow2", at: l1, refcountTable | 1 << 63)
        let report = try QcowIO.check(folder.path("image.qcow2"))
        #expect(report.exitCode == 2)
        #expect(try folder.status(["qemu-img", "check", "image.qcow2"]) == 2)
    }

    @Test("a missing file cannot be checked")
    func missingFile() throws {
        let folder = try ImageFolder()
        #expect(throws: QcowError.self) { try QcowIO.check(folder.path("missing.qcow2")) }
    }
}
