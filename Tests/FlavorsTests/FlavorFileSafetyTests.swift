import DurableFiles
@testable import Flavors
import Foundation
import Reporting
import TestSupport
import Testing

@Suite("Flavors: flavors.yaml is flushed before it replaces the old one; a full disk fails with exit 1, nothing changed")
struct FlavorFileSafetyTests {
    @Test("a change is written to a temporary file, flushed, renamed over flavors.yaml, and the folder flushed")
    func flushedBeforeRename() throws {
        let folder = try TemporaryFolder()
        let calls = RecordingFileCalls()
        let store = FlavorStore(file: folder.appendingPathComponent("flavors.yaml"), publisher: FilePublisher(calls: calls))
        try store.change(database: "redis", flavor: "small", [.ramGB: 5])
        #expect(calls.flushesAndRenames(in: folder.url)
            == ["fsync .flavors.yaml.partial", "rename .flavors.yaml.partial flavors.yaml", "fsync ."])
        #expect(try store.current(of: "redis").first { $0.name == "small" }?.spec[.ramGB] == 5)
    }

    @Test("a full disk: the error names the file and the cause, exits 1, and the old flavors.yaml is intact",
          .enabled(if: SmallTmpfs.canMount, "mounting a tmpfs needs root"))
    func fullDisk() throws {
        let tmpfs = try SmallTmpfs(size: "1m")
        defer { tmpfs.remove() }
        let file = tmpfs.appendingPathComponent("flavors.yaml")
        let store = FlavorStore(file: file)
        try store.change(database: "redis", flavor: "small", [.ramGB: 5])
        let before = try Data(contentsOf: file)
        try tmpfs.fill()
        let error = #expect(throws: FlavorError.cannotWrite(.noSpace(path: file.path, call: "write"))) {
            try store.change(database: "redis", flavor: "small", [.ramGB: 6])
        }
        #expect(error.map { failureKind(of: $0).exitStatus } == 1)
        #expect(error?.description.hasSuffix("; the flavors were not changed") == true)
        #expect(try Data(contentsOf: file) == before)
        #expect(tmpfs.contents == ["flavors.yaml"])
    }
}
