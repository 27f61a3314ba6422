import Foundation
import TestSupport
import Testing

/// The first-boot runner (`elements/firstboot/static/usr/lib/dibkit/firstboot`) under python3 on a fake root,
/// with the Redis hook installed.
@Suite struct FirstbootRunnerTests {
    @Test func configuresOnceThenSkipsThenReconfiguresOnANewInstance() throws {
        let root = try FakeRoot()
        defer { root.remove() }
        try root.setInstance("iid-first")
        try root.setUserData("#cloud-config\ndibkit:\n  redis:\n    port: 6380\n    password: \"s3cret-pass\"\n")

        let first = try root.runFirstboot()
        #expect(first.status == 0, "\(first.output)")
        #expect(first.output.contains("dibkit-firstboot: configured instance iid-first\n"))
        #expect(try root.read("/etc/redis/dibkit.conf").contains("port 6380\n"))
        #expect(try root.read("/var/lib/dibkit/firstboot-instance") == "iid-first\n")

        // Same instance: the runner skips, even when the user-data changed since.
        try root.setUserData("#cloud-config\ndibkit:\n  redis:\n    port: 6390\n    password: \"s3cret-pass\"\n")
        let second = try root.runFirstboot()
        #expect(second.status == 0, "\(second.output)")
        #expect(second.output == "dibkit-firstboot: instance iid-first already configured\n")
        #expect(try root.read("/etc/redis/dibkit.conf").contains("port 6380\n"))

        // A snapshot booted as a new instance is configured again.
        try root.setInstance("iid-second")
        let third = try root.runFirstboot()
        #expect(third.status == 0, "\(third.output)")
        #expect(third.output.contains("dibkit-firstboot: configured instance iid-second\n"))
        #expect(try root.read("/etc/redis/dibkit.conf").contains("port 6390\n"))
        #expect(try root.read("/etc/nftables.d/redis.nft").contains("tcp dport 6390 accept"))
        #expect(try root.mode("/var/lib/dibkit/firstboot-instance") == 0o600)
    }

    @Test func absentUserDataGivesTheDefaults() throws {
        let root = try FakeRoot()
        defer { root.remove() }
        try root.setInstance("iid-plain")

        let result = try root.runFirstboot()
        #expect(result.status == 0, "\(result.output)")
        let config = try root.read("/etc/redis/dibkit.conf")
        #expect(config.contains("port 6379\n"))
        #expect(config.contains("bind * -::*\n"))
        #expect(!config.contains("maxmemory"))
    }

    @Test func readsGzippedUserData() throws {
        let root = try FakeRoot()
        defer { root.remove() }
        try root.setInstance("iid-gzip")
        let plain = root.path("/var/lib/cloud/instance/user-data.txt")
        try root.setUserData("#cloud-config\ndibkit: {redis: {port: 7001, password: gzipped-pass}}\n")
        let gzip = try runCommand(["gzip", "-n", plain])
        try #require(gzip.status == 0, "\(gzip.output)")
        try FileManager.default.moveItem(atPath: plain + ".gz", toPath: plain)

        let result = try root.runFirstboot()
        #expect(result.status == 0, "\(result.output)")
        #expect(try root.read("/etc/redis/dibkit.conf").contains("port 7001\n"))
    }

    @Test func readsTheCloudConfigPartOfMultipartUserData() throws {
        let root = try FakeRoot()
        defer { root.remove() }
        try root.setInstance("iid-mime")
        try root.setUserData("""
            Content-Type: multipart/mixed; boundary="XYZ"
            MIME-Version: 1.0

            --XYZ
            Content-Type: text/x-shellscript

            #!/bin/sh
            echo port: 1
            --XYZ
            Content-Type: text/cloud-config

            #cloud-config
            dibkit:
              redis:
                port: 7002
                maxmemory: 128mb
                maxmemory_policy: allkeys-lfu
            --XYZ--

            """)

        let result = try root.runFirstboot()
        #expect(result.status == 0, "\(result.output)")
        let config = try root.read("/etc/redis/dibkit.conf")
        #expect(config.contains("port 7002\n"))
        #expect(config.contains("maxmemory 128mb\n"))
        #expect(config.contains("maxmemory-policy allkeys-lfu\n"))
    }

    @Test func aFailingHookLeavesTheInstanceUnmarked() throws {
        let root = try FakeRoot()
        defer { root.remove() }
        try root.setInstance("iid-bad")
        try root.setUserData("#cloud-config\ndibkit:\n  redis:\n    port: 70000\n")

        let result = try root.runFirstboot()
        #expect(result.status != 0)
        #expect(result.output.contains("redis.port 70000 is not a TCP port"))
        #expect(result.output.contains("hook 50-redis failed"))
        #expect(!result.output.contains("configured instance"))
        #expect(!root.exists("/var/lib/dibkit/firstboot-instance"))
        #expect(!root.exists("/etc/redis/dibkit.conf"))
    }

    @Test func rejectsADibkitMapThatIsNotAMapping() throws {
        let root = try FakeRoot()
        defer { root.remove() }
        try root.setInstance("iid-list")
        try root.setUserData("#cloud-config\ndibkit: [redis]\n")

        let result = try root.runFirstboot()
        #expect(result.status == 1)
        #expect(result.output.contains("`dibkit:` must be a mapping"))
        #expect(!root.exists("/var/lib/dibkit/firstboot-instance"))
    }

    @Test func reportsSectionsWithoutAHook() throws {
        let root = try FakeRoot()
        defer { root.remove() }
        try root.setInstance("iid-extra")
        try root.setUserData("#cloud-config\ndibkit:\n  couchdb: {port: 5984}\n")

        let result = try root.runFirstboot()
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains("`dibkit: {couchdb: ...}` has no hook"))
        #expect(result.output.contains("configured instance iid-extra"))
    }

    @Test("user-data that is not YAML fails with line, column and problem; the line, which may hold a password, is not logged")
    func yamlErrorHidesTheLine() throws {
        let root = try FakeRoot()
        defer { root.remove() }
        try root.setInstance("iid-broken")
        try root.setUserData("#cloud-config\ndibkit:\n  redis:\n    password: \"s3cret-unclosed\n    port: 6380\n")

        let result = try root.runFirstboot()
        #expect(result.status == 1)
        #expect(!result.output.contains("s3cret"), "\(result.output)")
        #expect(result.output.contains("user-data cloud-config part 1 is not valid YAML: line 6, column 1"), "\(result.output)")
        #expect(!root.exists("/var/lib/dibkit/firstboot-instance"))
    }
}
