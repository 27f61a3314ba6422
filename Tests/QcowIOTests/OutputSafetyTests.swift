import DurableFiles
import Foundation
@testable import QcowIO
import TestSupport
import Testing

@Suite("QcowIO output: flushed before the rename that publishes it; a full disk is named and leaves nothing")
struct OutputSafetyTests {
    @Test("the output is flushed before it is renamed into place, and its folder after", arguments: OutputFormat.allCases)
    func flushedBeforeRename(format: OutputFormat) throws {
        let folder = try ImageFolder()
        try folder.makeSource()
        let calls = RecordingFileCalls()
        let output = "out.\(format.rawValue)"
        _ = try Conversion(
            input: folder.path("source.raw"), output: folder.path(output), options: ConvertOptions(format: format),
            cancellation: CancellationFlag(), progress: nil, publisher: FilePublisher(calls: calls)
        ).run()
        #expect(calls.flushesAndRenames(in: folder.url) == ["fsync .\(output).partial", "rename .\(output).partial \(output)", "fsync ."])
        #expect(try folder.files() == [output, "source.raw"])
    }

    @Test("converting onto a full disk names the output and the full disk, and leaves nothing there",
          .enabled(if: SmallTmpfs.canMount, "mounting a tmpfs needs root"), arguments: OutputFormat.allCases)
    func fullDisk(format: OutputFormat) async throws {
        let folder = try ImageFolder()
        try folder.makeSource()
        let tmpfs = try SmallTmpfs(size: "2m")
        defer { tmpfs.remove() }
        let output = tmpfs.appendingPathComponent("out.\(format.rawValue)")
        await #expect(throws: FileWriteError.noSpace(path: output.path, call: "pwrite")) {
            try await QcowIO.convert(from: folder.path("source.raw"), to: output, options: ConvertOptions(format: format))
        }
        #expect(tmpfs.contents.isEmpty)
    }
}
