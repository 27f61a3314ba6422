import ArgumentParser
import Foundation
import Pipeline
import Testing

@testable import dibkit

@Suite("patch: options become steps in dibkit's fixed order (nothing runs)")
struct PatchParsingTests {
    @Test("uploads, then one install of every package, then -s in order, then ssh keys")
    func stepOrder() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("dibkit-patch-parse-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("motd")
        try Data("hello\n".utf8).write(to: file)
        let keys = folder.appendingPathComponent("keys.pub")
        try Data("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOxRFGEWveglBChM4hwH4B9k3dl8eJGnoLeioXP3xuDu me@host\n".utf8).write(to: keys)
        let command = try Dibkit.parseAsRoot([
            "patch", "img.qcow2", "-s", "first", "--ssh-key", keys.path, "--install", "redis-tools,jq", "-s", "second",
            "--upload", "\(file.path):/etc/motd", "--install", "curl", "--user", "admin",
        ])
        let patch = try #require(command as? Dibkit.Patch)
        let labels = try patch.makeSteps().map(\.label)
        #expect(labels == [
            "--upload \(file.path):/etc/motd", "--install redis-tools,jq,curl", "-s first", "-s second", "--ssh-key for user admin",
        ])
    }

    @Test("bad input is refused before anything starts", arguments: [
        ["patch", "img"],
        ["patch", "img", "--install", "redis;rm -rf /"],
        ["patch", "img", "--upload", "/etc/hostname"],
        ["patch", "img", "--upload", "/etc/hostname:relative"],
        ["patch", "img", "--upload", "/no/such/file:/etc/x"],
        ["patch", "img", "--ssh-key", "/etc/hostname"],
    ])
    func badInput(arguments: [String]) throws {
        let patch = try #require(try Dibkit.parseAsRoot(arguments) as? Dibkit.Patch)
        #expect(throws: (any Error).self) { try patch.makeSteps() }
    }
}

@Suite("patch: the binary's bad-input errors (no appliance starts)")
struct PatchBinaryTests {
    @Test("a missing image, a missing upload or nothing to do exit 2 with the reason")
    func badInputExitCodes() throws {
        let missing = try DibkitBinary.run(["patch", "/nonexistent/disk.qcow2", "-s", "true"])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("cannot patch /nonexistent/disk.qcow2"), "\(missing.stderr)")
        let upload = try DibkitBinary.run(["patch", "/nonexistent/disk.qcow2", "--upload", "/no/such:/etc/x"])
        #expect(upload.status == 2 && upload.stderr.contains("--upload /no/such:/etc/x"), "\(upload.stderr)")
        let nothing = try DibkitBinary.run(["patch", "/nonexistent/disk.qcow2"])
        #expect(nothing.status == 2 && nothing.stderr.contains("nothing to do"), "\(nothing.stderr)")
    }
}
