import ArgumentParser
import Foundation
import Pipeline
import Testing

@testable import dibkit

@Suite("CLI parsing (no command runs)")
struct CLIParsingTests {
    @Test("build takes the database first, then extra elements, and the seed-style options")
    func buildOptions() throws {
        let command = try Dibkit.parseAsRoot(["build", "redis", "my-element", "-o", "custom", "-t", "raw", "--size", "4G"])
        let build = try #require(command as? Dibkit.Build)
        #expect(build.elements == ["redis", "my-element"])
        #expect(build.output == "custom")
        #expect(build.format == .raw)
        #expect(try parseSize(build.size) == 4 << 30)
    }

    @Test("sizes parse with binary units; junk is refused", arguments: [
        ("3G", UInt64(3) << 30), ("2048M", UInt64(2048) << 20), ("512MiB", UInt64(512) << 20), ("1048576", UInt64(1_048_576)),
    ])
    func sizes(text: String, bytes: UInt64) throws {
        #expect(try parseSize(text) == bytes)
    }

    @Test("a bad size or no element is a usage error")
    func usageErrors() {
        #expect(throws: (any Error).self) { try Dibkit.parseAsRoot(["build", "redis", "--size", "lots"]) }
        #expect(throws: (any Error).self) { try Dibkit.parseAsRoot(["build"]) }
        #expect(throws: (any Error).self) { try Dibkit.parseAsRoot(["build", "redis", "-t", "vhd"]) }
    }

    @Test("output names follow diskimage-builder's -o: bare names under images/, paths as given")
    func outputNames() {
        let images = URL(fileURLWithPath: "/repo/images")
        let day = ISO8601DateFormatter().date(from: "2026-11-24T12:00:00Z")!
        #expect(BuildConfiguration.outputURL(name: nil, database: "redis", source: "dib", format: .qcow2, imagesDirectory: images, date: day).path
            == "/repo/images/redis-dib-2026-11-24.qcow2")
        #expect(BuildConfiguration.outputURL(name: "mine", database: "redis", source: "dib", format: .raw, imagesDirectory: images).path
            == "/repo/images/mine.raw")
        #expect(BuildConfiguration.outputURL(name: "/tmp/x/mine.qcow2", database: "redis", source: "dib", format: .qcow2, imagesDirectory: images).path
            == "/tmp/x/mine.qcow2")
    }
}
