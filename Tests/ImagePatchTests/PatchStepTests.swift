import Foundation
import ImagePatch
import TestSupport
import Testing

@Suite("patch: options become steps in dibkit's fixed order (nothing runs)")
struct PatchStepTests {
    @Test("uploads, then one install of every package, then -s in order, then ssh keys")
    func stepOrder() throws {
        let folder = try TemporaryFolder()
        let file = folder.appendingPathComponent("motd")
        try Data("hello\n".utf8).write(to: file)
        let keys = folder.appendingPathComponent("keys.pub")
        try Data("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOxRFGEWveglBChM4hwH4B9k3dl8eJGnoLeioXP3xuDu me@host\n".utf8).write(to: keys)
        let steps = try PatchStep.ordered(
            uploads: ["\(file.path):/etc/motd"], packages: ["redis-tools,jq", "curl"], commands: ["first", "second"],
            sshKeys: keys, user: "admin")
        #expect(steps.map(\.label) == [
            "--upload \(file.path):/etc/motd", "--install redis-tools,jq,curl", "-s first", "-s second", "--ssh-key for user admin",
        ])
    }

    @Test("bad input is refused before anything starts", arguments: [
        ([String](), [String](), nil as String?),
        ([], ["redis;rm -rf /"], nil),
        (["/etc/hostname"], [], nil),
        (["/etc/hostname:relative"], [], nil),
        (["/no/such/file:/etc/x"], [], nil),
        ([], [], "/etc/hostname"),
    ])
    func badInput(uploads: [String], packages: [String], sshKeys: String?) throws {
        #expect(throws: (any Error).self) {
            try PatchStep.ordered(
                uploads: uploads, packages: packages, commands: [], sshKeys: sshKeys.map { URL(fileURLWithPath: $0) }, user: "dibkit")
        }
    }
}
