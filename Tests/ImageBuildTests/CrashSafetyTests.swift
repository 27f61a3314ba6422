import DurableFiles
import Foundation
@testable import ImageBuild
import Reporting
import TestSupport
import Testing

@Suite("Crash and disk-full safety: flushed before published, SBOM and manifest before image, checked cache, no trap on a full disk")
struct CrashSafetyTests {
    @Test("the SBOM, then the manifest that points at it, then the image it describes, each flushed before its rename and its folder after")
    func manifestBeforeImage() throws {
        let folder = try TemporaryFolder()
        let calls = RecordingFileCalls()
        try publishRedis(in: folder, calls: calls)
        #expect(calls.flushesAndRenames(in: folder.url) == [
            "fsync .redis.spdx.json.partial", "rename .redis.spdx.json.partial redis.spdx.json", "fsync .",
            "fsync .redis.json.partial", "rename .redis.json.partial redis.json", "fsync .",
            "fsync .redis.qcow2.partial", "rename .redis.qcow2.partial redis.qcow2", "fsync .",
        ])
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.url.path).sorted()
            == ["redis.json", "redis.qcow2", "redis.spdx.json"])
    }

    @Test("an image that cannot be put in place takes its new manifest and SBOM with it: neither without its image")
    func failedImageRename() throws {
        let folder = try TemporaryFolder()
        let calls = RecordingFileCalls(failing: (call: "rename", pathSuffix: ".redis.qcow2.42.partial", errno: ENOSPC))
        #expect(throws: FileWriteError.noSpace(path: folder.appendingPathComponent("redis.qcow2").path, call: "rename")) {
            try publishRedis(in: folder, calls: calls)
        }
        // The staged image is its owner's to remove (the build's work folder cleanup does).
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.url.path) == [".redis.qcow2.42.partial"])
    }

    @Test("a manifest that cannot be written takes the new SBOM with it: no SBOM without its manifest")
    func failedManifest() throws {
        let folder = try TemporaryFolder()
        #expect(throws: FileWriteError.self) { try publishRedis(in: folder, manifest: "gone/redis.json") }
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.url.path) == [".redis.qcow2.42.partial"])
    }

    /// Stages `.redis.qcow2.42.partial` in `folder` and publishes it as `redis.qcow2` with its SBOM and its
    /// manifest (at `manifest`, relative to `folder`).
    private func publishRedis(in folder: TemporaryFolder, manifest: String = "redis.json", calls: RecordingFileCalls = .init()) throws {
        let staged = folder.appendingPathComponent(".redis.qcow2.42.partial")
        try Data("image".utf8).write(to: staged)
        try publishImage(
            staged, as: folder.appendingPathComponent("redis.qcow2"), manifest: .sample(name: "redis", database: "redis"),
            at: folder.appendingPathComponent(manifest), sbom: Data("{}".utf8), at: folder.appendingPathComponent("redis.spdx.json"),
            publisher: FilePublisher(calls: calls))
    }

    @Test("a cached base root that does not match its checksum, or has none, is made again and said so")
    func baseRootChecksum() async throws {
        let folder = try TemporaryFolder()
        let source = folder.appendingPathComponent("source")
        try FileManager.default.createDirectory(at: source, withIntermediateDirectories: true)
        try Data("good\n".utf8).write(to: source.appendingPathComponent("hello"))
        let bootstraps = Recorder<String>()
        let recipe = BaseRoot.Recipe(
            release: "bookworm", arch: "amd64", mirror: "http://mirror.invalid/debian", securityMirror: nil,
            variant: "minbase", components: ["main"], include: [])
        let base = BaseRoot(recipe: recipe, cacheDirectory: folder.appendingPathComponent("cache")) { _, tar, _, _ in
            bootstraps.append(tar.lastPathComponent)
            try shell("tar -cf '\(tar.path)' -C '\(source.path)' .")
        }
        func materialize(_ name: String) async throws -> (cached: Bool, notes: [String], hello: String) {
            var notes: [String] = []
            let root = folder.appendingPathComponent(name)
            let cached = try await base.materialize(into: root, scratch: folder.appendingPathComponent("scratch"), log: { _ in }) { notes.append($0) }
            return (cached, notes, try String(contentsOf: root.appendingPathComponent("hello"), encoding: .utf8))
        }

        let made = try await materialize("made")
        #expect(!made.cached && made.notes.isEmpty && made.hello == "good\n")
        try shell("cd '\(base.tarball.deletingLastPathComponent().path)' && sha256sum --check --quiet '\(base.checksumFile.lastPathComponent)'")
        let reused = try await materialize("reused")
        #expect(reused.cached && reused.notes.isEmpty && bootstraps.all.count == 1)

        var tar = try Data(contentsOf: base.tarball)
        let content = try #require(tar.firstRange(of: Data("good".utf8)))
        tar[content.lowerBound] = UInt8(ascii: "G")
        try tar.write(to: base.tarball)
        let damaged = try await materialize("damaged")
        #expect(!damaged.cached && damaged.hello == "good\n" && bootstraps.all.count == 2)
        #expect(damaged.notes == ["the cached base root \(base.tarball.path) does not match its checksum (damaged); making it again"])

        try FileManager.default.removeItem(at: base.checksumFile)
        let unchecked = try await materialize("unchecked")
        #expect(!unchecked.cached && unchecked.hello == "good\n" && bootstraps.all.count == 3)
        #expect(unchecked.notes == ["the cached base root \(base.tarball.path) has no checksum beside it "
            + "(cut short, or from an older dibkit); making it again"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: base.tarball.deletingLastPathComponent().path).sorted()
            == [base.tarball.lastPathComponent, base.checksumFile.lastPathComponent])
    }

    @Test("a full disk under the build log does not trap: the build's next check names the log and the cause",
          .enabled(if: SmallTmpfs.canMount, "mounting a tmpfs needs root"))
    func buildLogOnFullDisk() throws {
        let tmpfs = try SmallTmpfs(size: "1m")
        defer { tmpfs.remove() }
        let log = try BuildLog(directory: tmpfs.appendingPathComponent("logs"), name: "redis")
        log.append("first line")
        try log.checkWritten()
        try tmpfs.fill()
        log.append(String(repeating: "x", count: 64 << 10))
        log.append("and one more")
        #expect(throws: FileWriteError.noSpace(path: log.url.path, call: "write")) { try log.checkWritten() }
    }

    @Test("free space is checked per filesystem, the needs of folders on one filesystem added up",
          .enabled(if: SmallTmpfs.canMount, "mounting a tmpfs needs root"))
    func freeSpacePerFilesystem() throws {
        let tmpfs = try SmallTmpfs(size: "8m")
        defer { tmpfs.remove() }
        let need = { (name: String, mebibytes: UInt64) in
            FreeSpace.Need(folder: tmpfs.appendingPathComponent(name), bytes: mebibytes << 20, what: name)
        }
        try FreeSpace.check([need("a", 3), need("b/not/made/yet", 3)])
        #expect(throws: BuildError.self) { try FreeSpace.check([need("a", 5), need("b", 4)]) }
        do { try FreeSpace.check([need("a", 5), need("b", 4)]) } catch {
            #expect("\(error)".hasPrefix("not enough space for the build: the filesystem holding \(tmpfs.url.path)/a has 8 MiB free, "
                + "and needs about 9 MiB for a, b;"), "\(error)")
        }
        let elsewhere = FreeSpace.Need(folder: URL(fileURLWithPath: "/var/tmp"), bytes: 5 << 20, what: "elsewhere")
        try FreeSpace.check([need("a", 5), elsewhere])
    }
}
