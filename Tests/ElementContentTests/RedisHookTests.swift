import Foundation
import TestSupport
import Testing

/// The Redis first-boot hook (`50-redis`) through the runner on a fake root: passwords, validation, firewall.
@Suite struct RedisHookTests {
    @Test func generatesAPasswordIntoARootOnlyFileWithoutPrintingIt() throws {
        let root = try FakeRoot()
        defer { root.remove() }
        try root.setInstance("iid-secret")
        try root.setUserData("#cloud-config\ndibkit:\n  redis:\n    port: 6381\n")

        let result = try root.runFirstboot()
        #expect(result.status == 0, "\(result.output)")

        let credentials = try root.read("/etc/dibkit/credentials")
        let line = try #require(credentials.split(separator: "\n").first { $0.hasPrefix("REDIS_PASSWORD=") })
        let password = String(line.dropFirst("REDIS_PASSWORD=".count))
        #expect(password.count >= 32)
        #expect(try root.mode("/etc/dibkit/credentials") == 0o600)
        #expect(try root.mode("/etc/dibkit") == 0o700)
        #expect(!result.output.contains(password))

        let config = try root.read("/etc/redis/dibkit.conf")
        #expect(config.contains("requirepass \"\(password)\"\n"))
        #expect(try root.mode("/etc/redis/dibkit.conf") == 0o640)
        #expect(try root.group("/etc/redis/dibkit.conf") == Int(root.redisGroup))

        // A new instance without a password gets a new one.
        try root.setInstance("iid-secret-2")
        let again = try root.runFirstboot()
        #expect(again.status == 0, "\(again.output)")
        #expect(try !root.read("/etc/dibkit/credentials").contains(password))
    }

    @Test func aGivenPasswordIsUsedAndNotStoredInCredentials() throws {
        let root = try FakeRoot()
        defer { root.remove() }
        try root.setInstance("iid-given")
        try root.write("/etc/dibkit/credentials", "OTHER=kept\nREDIS_PASSWORD=stale-value\n")
        try root.setUserData("#cloud-config\ndibkit:\n  redis:\n    password: \"Given-Pass-123\"\n")

        let result = try root.runFirstboot()
        #expect(result.status == 0, "\(result.output)")
        #expect(!result.output.contains("Given-Pass-123"))
        #expect(try root.read("/etc/redis/dibkit.conf").contains("requirepass \"Given-Pass-123\"\n"))
        #expect(try root.read("/etc/dibkit/credentials") == "OTHER=kept\n")
    }

    @Test(arguments: [
        ("port: 0", "redis.port 0 is not a TCP port"),
        ("port: 65536", "redis.port 65536 is not a TCP port"),
        ("port: \"63x9\"", "redis.port '63x9' is not a TCP port"),
        ("port: true", "redis.port True is not a TCP port"),
        ("maxmemory_policy: lru", "redis.maxmemory_policy 'lru' is not one of"),
        ("maxmemory: 12tb", "redis.maxmemory '12tb' is not a size"),
        ("bind: \"10.0.0.1 example.org\"", "redis.bind address 'example.org' is not an IP address"),
        ("password: \"has space\"", "redis.password must be"),
        ("passwd: abcdefgh", "unknown redis setting(s) passwd"),
    ])
    func rejectsBadValues(setting: String, message: String) throws {
        let root = try FakeRoot()
        defer { root.remove() }
        try root.setInstance("iid-invalid")
        try root.setUserData("#cloud-config\ndibkit:\n  redis:\n    \(setting)\n")

        let result = try root.runFirstboot()
        #expect(result.status != 0)
        #expect(result.output.contains(message), "\(result.output)")
        #expect(!root.exists("/var/lib/dibkit/firstboot-instance"))
    }

    @Test func acceptsAListOfBindAddresses() throws {
        let root = try FakeRoot()
        defer { root.remove() }
        try root.setInstance("iid-bind")
        try root.setUserData("#cloud-config\ndibkit:\n  redis:\n    bind: [127.0.0.1, \"-::1\", 10.1.2.3]\n")

        let result = try root.runFirstboot()
        #expect(result.status == 0, "\(result.output)")
        #expect(try root.read("/etc/redis/dibkit.conf").contains("bind 127.0.0.1 -::1 10.1.2.3\n"))
    }

    @Test func asksSystemdToReloadTheFirewallAndRestartARunningRedis() throws {
        let root = try FakeRoot()
        defer { root.remove() }
        try root.setInstance("iid-units")

        let result = try root.runFirstboot()
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains("would run: systemctl reload-or-restart nftables.service"))
        #expect(result.output.contains("would run: systemctl try-restart redis-server.service"))
    }
}
