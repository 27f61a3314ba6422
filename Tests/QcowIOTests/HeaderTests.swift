import Foundation
import QcowIO
import TestSupport
import Testing

/// A temp folder for images made by qemu-img at test time (on /var/tmp: images are larger than a small /tmp).
final class ImageFolder {
    private let folder: TemporaryFolder
    var url: URL { folder.url }

    init() throws { folder = try TemporaryFolder(in: URL(fileURLWithPath: "/var/tmp")) }

    /// Runs a command in the folder and returns its standard output; it must succeed.
    @discardableResult
    func run(_ arguments: [String]) throws -> Data {
        let result = try runCommand(arguments, in: url, mergingErrors: false)
        try #require(result.status == 0, "\(arguments.joined(separator: " ")) failed")
        return Data(result.output.utf8)
    }

    /// qemu-img's own report, the reference.
    func qemuInfo(_ name: String) throws -> [String: Any] {
        let data = try run(["qemu-img", "info", "--output=json", name])
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }
}

@Suite("QcowIO: format detection and qcow2 headers, read as qemu-img reads them")
struct HeaderTests {
    @Test("headers of images qemu-img writes are read identically", arguments: [
        ["-o", "compat=0.10"], ["-o", "compat=1.1"], ["-o", "cluster_size=512"], ["-o", "cluster_size=2M"],
        ["-o", "compression_type=zstd"], ["-o", "extended_l2=on,cluster_size=64k"], ["-o", "refcount_bits=64"],
    ])
    func matchesQemuImg(options: [String]) throws {
        let folder = try ImageFolder()
        try folder.run(["qemu-img", "create", "-q", "-f", "qcow2"] + options + ["disk.qcow2", "3G"])
        let info = try QcowIO.info(of: folder.url.appendingPathComponent("disk.qcow2"))
        let reference = try folder.qemuInfo("disk.qcow2")
        let specific = (reference["format-specific"] as? [String: Any])?["data"] as? [String: Any] ?? [:]
        #expect(info.format == .qcow2)
        #expect(info.virtualSize == reference["virtual-size"] as? UInt64)
        #expect(info.clusterSize == reference["cluster-size"] as? Int)
        #expect(info.version == (specific["compat"] as? String == "0.10" ? 2 : 3))
        #expect(info.compressionType == specific["compression-type"] as? String ?? "zlib")
        #expect(info.extendedL2 == (specific["extended-l2"] as? Bool ?? false))
        #expect(info.actualSize == reference["actual-size"] as? UInt64)
    }

    @Test("backing file and backing format are read from the header and its extension")
    func backing() throws {
        let folder = try ImageFolder()
        try folder.run(["qemu-img", "create", "-q", "-f", "raw", "base.img", "1G"])
        try folder.run(["qemu-img", "create", "-q", "-f", "qcow2", "-b", "base.img", "-F", "raw", "top.qcow2"])
        let info = try QcowIO.info(of: folder.url.appendingPathComponent("top.qcow2"))
        #expect(info.backingFile == "base.img")
        #expect(info.backingFormat == "raw")
        #expect(info.virtualSize == 1 << 30)
    }

    @Test("the format comes from the content, never from the name")
    func detectionByContent() throws {
        let folder = try ImageFolder()
        try folder.run(["qemu-img", "create", "-q", "-f", "raw", "looks-like.qcow2", "64M"])
        try folder.run(["qemu-img", "create", "-q", "-f", "qcow2", "looks-like.raw", "64M"])
        #expect(try ImageFormat.detect(at: folder.url.appendingPathComponent("looks-like.qcow2")) == .raw)
        #expect(try ImageFormat.detect(at: folder.url.appendingPathComponent("looks-like.raw")) == .qcow2)
        #expect(try QcowIO.info(of: folder.url.appendingPathComponent("looks-like.qcow2")).virtualSize == 64 << 20)
    }

    @Test("hostile headers give an error naming the field, never a crash", arguments: [
        (4, [0, 0, 0, 9], "version"),
        (20, [0, 0, 0, 40], "cluster_bits"),
        (24, [0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF], "size"),
        (36, [0, 0, 0, 0], "l1_size"),
        (40, [0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00], "l1_table_offset"),
        (48, [0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00], "refcount_table_offset"),
        (72, [0x80, 0, 0, 0, 0, 0, 0, 0], "incompatible feature bits"),
        (100, [0xFF, 0xFF, 0xFF, 0xF8], "header_length"),
        (32, [0, 0, 0, 1], "encryption"),
    ])
    func hostileHeaders(offset: Int, bytes: [UInt8], field: String) throws {
        let folder = try ImageFolder()
        try folder.run(["qemu-img", "create", "-q", "-f", "qcow2", "bad.qcow2", "1G"])
        let url = folder.url.appendingPathComponent("bad.qcow2")
        let handle = try FileHandle(forWritingTo: url)
        try handle.seek(toOffset: UInt64(offset))
        try handle.write(contentsOf: Data(bytes))
        try handle.close()
        #expect(throws: QcowError.self) { try QcowIO.info(of: url) }
        do { _ = try QcowIO.info(of: url) } catch { #expect(String(describing: error).contains(field)) }
    }

    @Test("a truncated file is an error, not a crash")
    func truncated() throws {
        let folder = try ImageFolder()
        let url = folder.url.appendingPathComponent("short.qcow2")
        try Data([0x51, 0x46, 0x49, 0xFB, 0, 0, 0, 3]).write(to: url)
        #expect(throws: QcowError.malformed(path: url.path, field: "header", reason: "is truncated (8 bytes)")) {
            try QcowIO.info(of: url)
        }
    }
}
