import DurableFiles
import Foundation
import Glibc
import TestSupport
import Testing

@Suite("FilePublisher: flushed before the rename that publishes, flushed folder after, nothing half-written")
struct FilePublisherTests {
    @Test("written data goes to a temporary name, is flushed, renamed over the name, then the folder is flushed")
    func writeOrder() throws {
        let folder = try TemporaryFolder()
        let calls = RecordingFileCalls()
        let destination = folder.appendingPathComponent("x.json")
        try FilePublisher(calls: calls).write(Data("new".utf8), to: destination)
        #expect(calls.flushesAndRenames(in: folder.url) == ["fsync .x.json.partial", "rename .x.json.partial x.json", "fsync ."])
        #expect(try String(contentsOf: destination, encoding: .utf8) == "new")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.url.path) == ["x.json"])
    }

    @Test("a staged file is flushed before it is renamed into place, and its folder after")
    func publishOrder() throws {
        let folder = try TemporaryFolder()
        let staged = folder.appendingPathComponent(".image.qcow2.99.partial")
        try Data("image".utf8).write(to: staged)
        let calls = RecordingFileCalls()
        try FilePublisher(calls: calls).publish(staged, as: folder.appendingPathComponent("image.qcow2"))
        #expect(calls.flushesAndRenames(in: folder.url)
            == ["fsync .image.qcow2.partial", "rename .image.qcow2.partial image.qcow2", "fsync ."])
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.url.path) == ["image.qcow2"])
    }

    @Test("a failed flush stops the publication: no rename, the old file intact, no temporary file left")
    func failedFlush() throws {
        let folder = try TemporaryFolder()
        let destination = folder.appendingPathComponent("flavors.yaml")
        try Data("old".utf8).write(to: destination)
        let calls = RecordingFileCalls(failing: (call: "fsync", pathSuffix: ".partial", errno: EIO))
        #expect(throws: FileWriteError.failed(path: destination.path, call: "fsync", reason: "Input/output error")) {
            try FilePublisher(calls: calls).write(Data("new".utf8), to: destination)
        }
        #expect(!calls.entries.contains { $0.call == "rename" })
        #expect(try String(contentsOf: destination, encoding: .utf8) == "old")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.url.path) == ["flavors.yaml"])
    }

    @Test("a full disk: the error names the file and says the filesystem is full; the old file stays, no debris",
          .enabled(if: SmallTmpfs.canMount, "mounting a tmpfs needs root"))
    func fullDisk() throws {
        let tmpfs = try SmallTmpfs(size: "1m")
        defer { tmpfs.remove() }
        let destination = tmpfs.appendingPathComponent("image.json")
        try Data("old".utf8).write(to: destination)
        try tmpfs.fill()
        let error = #expect(throws: FileWriteError.noSpace(path: destination.path, call: "write")) {
            try FilePublisher().write(Data(count: 1 << 20), to: destination)
        }
        #expect(error?.description == "cannot write \(destination.path): no space left on its filesystem (write); "
            + "free space there, or point dibkit at another folder, and run again")
        #expect(try String(contentsOf: destination, encoding: .utf8) == "old")
        #expect(tmpfs.contents == ["image.json"])
    }

    @Test("a writer on a full disk throws naming its file, where FileHandle.write traps",
          .enabled(if: SmallTmpfs.canMount, "mounting a tmpfs needs root"))
    func writerOnFullDisk() throws {
        let tmpfs = try SmallTmpfs(size: "1m")
        defer { tmpfs.remove() }
        try tmpfs.fill()
        let log = tmpfs.appendingPathComponent("build.log")
        let writer = try FileWriter(path: log.path, appending: true)
        #expect(throws: FileWriteError.noSpace(path: log.path, call: "write")) {
            try writer.write(Data(count: 64 << 10))
        }
    }
}
