import Foundation
import QcowIO
import Testing

@Suite("QcowIO reader: guest bytes identical to qemu-img's, for every layout qemu-img writes")
struct ReaderTests {
    @Test("qcow2 → raw matches the source", arguments: [
        [], ["-c"], ["-c", "-o", "compression_type=zstd"], ["-o", "cluster_size=512"], ["-c", "-o", "cluster_size=2M"],
        ["-o", "extended_l2=on"], ["-c", "-o", "extended_l2=on"], ["-o", "compat=0.10"], ["-c", "-o", "cluster_size=4k"],
    ])
    func readsWhatQemuImgWrites(options: [String]) async throws {
        let folder = try ImageFolder()
        try folder.makeSource()
        try folder.run(["qemu-img", "convert", "-f", "raw", "-O", "qcow2"] + options + ["source.raw", "image.qcow2"])
        try await toRaw(folder.url.appendingPathComponent("image.qcow2"), folder.url.appendingPathComponent("out.raw"))
        try folder.run(["qemu-img", "compare", "-f", "raw", "-F", "raw", "source.raw", "out.raw"])
        let attributes = try FileManager.default.attributesOfItem(atPath: folder.url.appendingPathComponent("out.raw").path)
        #expect(attributes[.size] as? UInt64 == 24 << 20)
    }

    @Test("backing chains, zero clusters and unallocated clusters read through to the backing file")
    func backingChain() async throws {
        let folder = try ImageFolder()
        try folder.makeSource()
        try folder.run(["qemu-img", "convert", "-f", "raw", "-O", "qcow2", "source.raw", "base.qcow2"])
        try folder.run(["qemu-img", "create", "-q", "-f", "qcow2", "-b", "base.qcow2", "-F", "qcow2", "top.qcow2"])
        try folder.run(["qemu-io", "-f", "qcow2", "-c", "write -P 0xab 2M 64k", "-c", "write -z 1M 64k", "-c", "write -P 0x11 20M 4k", "top.qcow2"])
        try await toRaw(folder.url.appendingPathComponent("top.qcow2"), folder.url.appendingPathComponent("out.raw"))
        try folder.run(["qemu-img", "compare", "-f", "qcow2", "-F", "raw", "top.qcow2", "out.raw"])
        // The chain's top may also be read as a raw-backed image.
        try folder.run(["qemu-img", "create", "-q", "-f", "qcow2", "-b", "source.raw", "-F", "raw", "over-raw.qcow2"])
        try await toRaw(folder.url.appendingPathComponent("over-raw.qcow2"), folder.url.appendingPathComponent("out2.raw"))
        try folder.run(["qemu-img", "compare", "-f", "raw", "-F", "raw", "source.raw", "out2.raw"])
    }

    @Test("a backing loop is an error naming the loop, and no output is left")
    func backingLoop() async throws {
        let folder = try ImageFolder()
        try folder.run(["qemu-img", "create", "-q", "-f", "qcow2", "a.qcow2", "16M"])
        try folder.run(["qemu-img", "create", "-q", "-f", "qcow2", "-b", "a.qcow2", "-F", "qcow2", "b.qcow2"])
        try folder.run(["qemu-img", "rebase", "-u", "-f", "qcow2", "-b", "b.qcow2", "-F", "qcow2", "a.qcow2"])
        let output = folder.url.appendingPathComponent("out.raw")
        await #expect(throws: QcowError.self) { try await toRaw(folder.url.appendingPathComponent("b.qcow2"), output) }
        do { try await toRaw(folder.url.appendingPathComponent("b.qcow2"), output) } catch {
            #expect(String(describing: error).contains("loop"))
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.url.path).sorted() == ["a.qcow2", "b.qcow2"])
    }

    @Test("a compressed cluster whose descriptor points past the file is an error, not a crash")
    func badCompressedDescriptor() async throws {
        let folder = try ImageFolder()
        try folder.makeSource()
        try folder.run(["qemu-img", "convert", "-c", "-f", "raw", "-O", "qcow2", "source.raw", "image.qcow2"])
        let url = folder.url.appendingPathComponent("image.qcow2")
        // Truncate the file so the last compressed clusters lie beyond its end.
        let size = try #require(try FileManager.default.attributesOfItem(atPath: url.path)[.size] as? UInt64)
        let handle = try FileHandle(forWritingTo: url)
        try handle.truncate(atOffset: size - 200_000)
        try handle.close()
        await #expect(throws: QcowError.self) { try await toRaw(url, folder.url.appendingPathComponent("out.raw")) }
    }
}

/// Converts `input` to a sparse raw file at `output` through QcowIO.
func toRaw(_ input: URL, _ output: URL) async throws {
    _ = try await convert(from: input, to: output, options: ConvertOptions(format: .raw))
}
