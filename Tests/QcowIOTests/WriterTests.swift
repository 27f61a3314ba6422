import Foundation
import QcowIO
import Testing

@Suite("QcowIO writer: qcow2 that qemu-img checks clean and reads identically; sparse raw; raw.gz")
struct WriterTests {
    @Test("every qcow2 written passes qemu-img check and dibkit check and holds the source's bytes", arguments: [
        ClusterCompression?.none, .deflate, .zstd,
    ], [512, 4096, 65536, 2 << 20])
    func qcow2MatchesSource(compression: ClusterCompression?, clusterSize: Int) async throws {
        let folder = try ImageFolder()
        try folder.makeSource()
        try await folder.convert("source.raw", "out.qcow2", ConvertOptions(compression: compression, clusterSize: clusterSize))
        #expect(try folder.status(["qemu-img", "check", "-q", "out.qcow2"]) == 0)
        #expect(try folder.status(["qemu-img", "compare", "-q", "-f", "raw", "-F", "qcow2", "source.raw", "out.qcow2"]) == 0)
        let report = try QcowIO.check(folder.path("out.qcow2"))
        #expect(report.exitCode == 0, "\(report.problems)")
        let info = try folder.qemuInfo("out.qcow2")
        let specific = (info["format-specific"] as? [String: Any])?["data"] as? [String: Any] ?? [:]
        #expect(info["cluster-size"] as? Int == clusterSize)
        #expect(specific["compression-type"] as? String == (compression == .zstd ? "zstd" : "zlib"))
        #expect(specific["refcount-bits"] as? Int == 16)
        // Back to raw through QcowIO's reader, then compared by qemu-img.
        try await folder.convert("out.qcow2", "back.raw", ConvertOptions(format: .raw))
        #expect(try folder.status(["qemu-img", "compare", "-q", "-f", "raw", "-F", "raw", "source.raw", "back.raw"]) == 0)
    }

    @Test("zero clusters are not stored; clusters that do not shrink are stored uncompressed")
    func zeroAndIncompressibleClusters() async throws {
        let folder = try ImageFolder()
        try folder.makeSource()
        try await folder.convert("source.raw", "plain.qcow2", ConvertOptions())
        try await folder.convert("source.raw", "packed.qcow2", ConvertOptions(compression: .deflate))
        let plain = try QcowIO.check(folder.path("plain.qcow2"))
        let packed = try QcowIO.check(folder.path("packed.qcow2"))
        // 3 MiB random (48 clusters), 2.6 MiB of text (42), and the tail (1): 91 of 384 clusters hold data.
        #expect(plain.allocatedClusters == 91)
        #expect(plain.totalClusters == 384)
        #expect(plain.compressedClusters == 0)
        #expect(packed.allocatedClusters == 91)
        // Random clusters do not shrink; text and the mostly-zero tail cluster do.
        #expect(packed.compressedClusters == 43)
        #expect(try FileManager.default.attributesOfItem(atPath: folder.path("plain.qcow2").path)[.size] as? UInt64 ?? 0 < 7 << 20)
    }

    @Test("images qemu-img writes with every option convert to qcow2 and back with identical content", arguments: [
        [], ["-c"], ["-c", "-o", "compression_type=zstd"], ["-o", "cluster_size=512"], ["-c", "-o", "cluster_size=2M"],
        ["-o", "extended_l2=on"], ["-o", "compat=0.10"], ["-o", "refcount_bits=64"],
    ])
    func fromQemuImages(options: [String]) async throws {
        let folder = try ImageFolder()
        try folder.makeSource()
        try folder.run(["qemu-img", "convert", "-f", "raw", "-O", "qcow2"] + options + ["source.raw", "qemu.qcow2"])
        #expect(try QcowIO.check(folder.path("qemu.qcow2")).exitCode == 0)
        for compression in [ClusterCompression?.none, .deflate, .zstd] {
            try await folder.convert("qemu.qcow2", "ours.qcow2", ConvertOptions(compression: compression))
            #expect(try folder.status(["qemu-img", "check", "-q", "ours.qcow2"]) == 0)
            #expect(try folder.status(["qemu-img", "compare", "-q", "-f", "qcow2", "-F", "qcow2", "qemu.qcow2", "ours.qcow2"]) == 0)
        }
    }

    @Test("raw output is sparse and identical; raw.gz decompresses with gzip to the raw bytes")
    func rawAndGzip() async throws {
        let folder = try ImageFolder()
        try folder.makeSource()
        try folder.run(["qemu-img", "convert", "-c", "-f", "raw", "-O", "qcow2", "source.raw", "in.qcow2"])
        let raw = try await folder.convert("in.qcow2", "out.raw", ConvertOptions(format: .raw))
        #expect(raw.fileSize == 24 << 20)
        #expect(raw.actualSize < 8 << 20, "zero runs must be holes")
        #expect(try folder.status(["cmp", "-s", "source.raw", "out.raw"]) == 0)
        let gzip = try await folder.convert("in.qcow2", "out.raw.gz", ConvertOptions(format: .rawGzip))
        #expect(gzip.fileSize < 4 << 20)
        #expect(try folder.status(["bash", "-c", "gzip -t out.raw.gz && gzip -dc out.raw.gz | cmp -s - source.raw"]) == 0)
    }

    @Test("a disk whose size is no multiple of a cluster or a sector converts exactly", arguments: [
        ClusterCompression?.none, .deflate, .zstd,
    ])
    func oddSize(compression: ClusterCompression?) async throws {
        let folder = try ImageFolder()
        try folder.run(["bash", "-c", "head -c 1000001 /dev/urandom > odd.raw && seq 1 20000 | dd of=odd.raw bs=1 seek=700000 conv=notrunc status=none"])
        try await folder.convert("odd.raw", "odd.qcow2", ConvertOptions(compression: compression, clusterSize: 4096))
        #expect(try folder.status(["qemu-img", "check", "-q", "odd.qcow2"]) == 0)
        #expect(try folder.status(["qemu-img", "compare", "-q", "-f", "raw", "-F", "qcow2", "odd.raw", "odd.qcow2"]) == 0)
        #expect(try QcowIO.info(of: folder.path("odd.qcow2")).virtualSize == 1_000_448)
        try await folder.convert("odd.qcow2", "back.raw", ConvertOptions(format: .raw))
        try await folder.convert("odd.raw", "odd.raw.gz", ConvertOptions(format: .rawGzip))
        #expect(try folder.status(["bash", "-c", "cmp -n 1000001 odd.raw back.raw && gzip -dc odd.raw.gz | cmp - odd.raw"]) == 0)
    }

    @Test("a failed conversion leaves no output and the input untouched; an existing output is replaced only on success")
    func atomicOutput() async throws {
        let folder = try ImageFolder()
        try folder.makeSource()
        try folder.run(["qemu-img", "convert", "-c", "-f", "raw", "-O", "qcow2", "source.raw", "bad.qcow2"])
        let size = try #require(try FileManager.default.attributesOfItem(atPath: folder.path("bad.qcow2").path)[.size] as? UInt64)
        let handle = try FileHandle(forWritingTo: folder.path("bad.qcow2"))
        try handle.truncate(atOffset: size - 200_000)
        try handle.close()
        let before = try Data(contentsOf: folder.path("bad.qcow2"))
        try Data("previous".utf8).write(to: folder.path("out.qcow2"))
        await #expect(throws: QcowError.self) { try await folder.convert("bad.qcow2", "out.qcow2", ConvertOptions()) }
        #expect(try folder.files() == ["bad.qcow2", "out.qcow2", "source.raw"])
        #expect(try Data(contentsOf: folder.path("out.qcow2")) == Data("previous".utf8))
        #expect(try Data(contentsOf: folder.path("bad.qcow2")) == before)
    }

    @Test("cancelling a conversion stops it and removes the partial output")
    func cancellation() async throws {
        let folder = try ImageFolder()
        try folder.run(["bash", "-c", "truncate -s 1G big.raw && head -c 256M /dev/urandom | dd of=big.raw conv=notrunc status=none"])
        let input = folder.path("big.raw"), output = folder.path("out.qcow2")
        let task = Task { try await QcowIO.convert(from: input, to: output, options: ConvertOptions(compression: .deflate)) }
        task.cancel()
        await #expect(throws: CancellationError.self) { try await task.value }
        #expect(try folder.files() == ["big.raw"])
    }

    @Test("requests that cannot be met are refused before any output exists", arguments: [
        ("out.qcow2", ConvertOptions(clusterSize: 1000), "power of two"),
        ("out.qcow2", ConvertOptions(clusterSize: 4 << 20), "power of two"),
        ("out.raw", ConvertOptions(format: .raw, compression: .zstd), "qcow2 output only"),
        ("source.raw", ConvertOptions(), "input image itself"),
    ])
    func refusedRequests(output: String, options: ConvertOptions, message: String) async throws {
        let folder = try ImageFolder()
        try folder.makeSource()
        do {
            try await folder.convert("source.raw", output, options)
            Issue.record("expected an error")
        } catch {
            #expect(String(describing: error).contains(message))
        }
        #expect(try folder.files() == ["source.raw"])
    }

    @Test("a disk too large for its cluster size is refused (qemu's 32 MiB L1 limit), without a huge allocation")
    func l1Limit() async throws {
        let folder = try ImageFolder()
        try folder.run(["truncate", "-s", "2T", "huge.raw"])
        do {
            try await folder.convert("huge.raw", "out.qcow2", ConvertOptions(clusterSize: 512))
            Issue.record("expected an error")
        } catch {
            #expect(String(describing: error).contains("--cluster-size"))
        }
        #expect(try folder.files() == ["huge.raw"])
    }
}
