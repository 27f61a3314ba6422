import Foundation
import QcowIO
import TestSupport
import Testing

@Suite("dibkit convert and check: parsing, exit codes, output")
struct ConvertCLITests {
    @Test("convert takes -O, -c with or without a value, --cluster-size and --threads")
    func options() throws {
        let folder = try TemporaryFolder()
        let raw = folder.appendingPathComponent("disk.raw")
        try Data(repeating: 7, count: 1 << 20).write(to: raw)
        for (arguments, format, compression) in [
            (["-c", "zstd", "--threads", "1"], "qcow2", "zstd" as String?), (["-c", "--cluster-size", "2M"], "qcow2", "deflate"),
            (["-O", "raw.gz"], "raw.gz", nil),
        ] {
            let output = folder.appendingPathComponent("out-\(UUID().uuidString.prefix(4))")
            let result = try DibkitBinary.run(["convert", raw.path, output.path, "--json"] + arguments)
            #expect(result.status == 0, "\(arguments): \(result.stderr)")
            let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
            #expect(object?["outputFormat"] as? String == format && object?["compression"] as? String == compression, "\(arguments)")
        }
    }

    @Test("bad options are usage errors (exit 64)", arguments: [
        ["convert", "a", "b", "--cluster-size", "1000"], ["convert", "a", "b", "--cluster-size", "4M"],
        ["convert", "a", "b", "-O", "raw", "-c", "deflate"], ["convert", "a", "b", "-O", "vmdk"], ["convert", "a"],
        ["convert", "a", "b", "--threads", "0"],
    ])
    func usageErrors(arguments: [String]) throws {
        #expect(try DibkitBinary.run(arguments).status == 64)
    }

    @Test("the binary converts with --json (one object, no progress) and check exits as qemu-img check does")
    func binary() throws {
        let folder = URL(fileURLWithPath: "/var/tmp/dibkit-cli-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let raw = folder.appendingPathComponent("in.raw").path, qcow2 = folder.appendingPathComponent("out.qcow2").path
        try Data((0..<(3 << 20)).map { UInt8(truncatingIfNeeded: $0 / 7) }).write(to: URL(fileURLWithPath: raw))
        let converted = try DibkitBinary.run(["convert", raw, qcow2, "-c", "--json"])
        #expect(converted.status == 0)
        #expect(converted.stderr.isEmpty)
        let result = try JSONDecoder().decode(ConvertResult.self, from: Data(converted.stdout.utf8))
        #expect(result.outputFormat == .qcow2 && result.compression == .deflate && result.virtualSize == 3 << 20)
        let clean = try DibkitBinary.run(["check", qcow2])
        #expect(clean.status == 0)
        #expect(clean.stdout.contains("No errors were found"))
        let report = try DibkitBinary.run(["check", qcow2, "--json"])
        #expect(try JSONDecoder().decode(CheckReport.self, from: Data(report.stdout.utf8)).corruptions == 0)
        // The header cluster's refcount (the first entry of the first refcount block) raised to 2: a leak.
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: qcow2))
        try handle.seek(toOffset: 48)
        let table = try #require(try handle.read(upToCount: 8)).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        try handle.seek(toOffset: table)
        let block = try #require(try handle.read(upToCount: 8)).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        try handle.seek(toOffset: block)
        try handle.write(contentsOf: Data([0, 2]))
        try handle.close()
        let leaky = try DibkitBinary.run(["check", qcow2])
        #expect(leaky.status == 3)
        #expect(leaky.stdout.contains("1 leaked clusters"))
        #expect(try DibkitBinary.run(["check", raw]).status == 63)
    }

    @Test("bad input: a clear error naming the file, non-zero exit, no output left")
    func badInput() throws {
        let folder = URL(fileURLWithPath: "/var/tmp/dibkit-cli-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let bad = folder.appendingPathComponent("bad.qcow2")
        try Data([0x51, 0x46, 0x49, 0xFB, 0, 0, 0, 3] + [UInt8](repeating: 0, count: 100)).write(to: bad)
        let result = try DibkitBinary.run(["convert", bad.path, folder.appendingPathComponent("out.raw").path, "-O", "raw"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("bad.qcow2: not a valid qcow2 image"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["bad.qcow2"])
        let check = try DibkitBinary.run(["check", bad.path])
        #expect(check.status == 1)
        let missing = try DibkitBinary.run(["convert", folder.appendingPathComponent("nope.raw").path, "out.qcow2"])
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("No such file or directory"))
    }

    @Test("convert reads a backing file that is an absolute path only with --allow-backing")
    func backingFile() throws {
        let image = try TestImage(size: 2 << 20, randomBytes: 4096)
        defer { image.remove() }
        let overlay = try image.overlay(backedBy: image.raw.path, size: 2 << 20).path
        let output = image.folder.appendingPathComponent("out.raw").path
        let refused = try DibkitBinary.run(["convert", overlay, output, "-O", "raw"])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("backing file '\(image.raw.path)' is an absolute path"), "\(refused.stderr)")
        #expect(refused.stderr.contains("pass --allow-backing if you trust"), "\(refused.stderr)")
        #expect(!FileManager.default.fileExists(atPath: output))
        let allowed = try DibkitBinary.run(["convert", overlay, output, "-O", "raw", "--allow-backing"])
        #expect(allowed.status == 0, "\(allowed.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: output)) == Data(contentsOf: image.raw))
    }

    @Test("check of a sparse 1 TiB qcow2 with 512 B clusters needs memory for what the image holds, not for its length")
    func checkSparseFile() throws {
        let folder = URL(fileURLWithPath: "/var/tmp/dibkit-cli-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let image = folder.appendingPathComponent("sparse.qcow2").path
        // At most 2 GiB of address space, so that a check sized by the file's length fails at once instead
        // of taking the machine's memory; GNU time reports the peak resident set.
        let run = Process()
        run.executableURL = URL(fileURLWithPath: "/bin/bash")
        run.arguments = ["-c", """
            set -e
            qemu-img create -q -f qcow2 -o cluster_size=512 "$1" 1G
            truncate -s 1T "$1"
            ulimit -v 2097152
            exec /usr/bin/time -f 'peak %M KiB' "$2" check "$1"
            """, "check", image, DibkitBinary.url.path]
        let errors = Pipe()
        run.standardError = errors
        run.standardOutput = FileHandle.nullDevice
        try run.run()
        let stderr = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        run.waitUntilExit()
        #expect(run.terminationStatus == 0, "\(stderr)")
        let peak = stderr.firstMatch(of: #/peak (\d+) KiB/#).flatMap { Int($0.1) }
        #expect(peak.map { $0 < 100 << 10 } == true, "peak resident set: \(stderr)")
    }
}
