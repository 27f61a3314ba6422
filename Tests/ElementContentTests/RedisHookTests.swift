import Foundation
import HostProcesses
import Testing
import TestSupport

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
        ("password: \"short\"", "redis.password must be 8 to 512 characters"),
        ("password: \"trailing-newline\\n\"", "redis.password holds a control character"),
        ("password: 12345678", "redis.password must be a string"),
        ("bind: \"fe80::1%eth0\\\"x\"", "redis.bind address 'fe80::1%eth0\"x' is not an IP address"),
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

    @Test(.enabled(if: canRunRedis, "needs redis-server and redis-cli (apt)"))
    func anyPrintablePasswordReachesRedisExactly() throws {
        let root = try FakeRoot()
        defer { root.remove() }
        let port = try freeLoopbackPort()
        try root.setInstance("iid-pasted")
        try root.setUserData("#cloud-config\ndibkit:\n  redis:\n    port: \(port)\n    bind: 127.0.0.1\n"
            + "    password: \(yamlQuoted(pastedPassword))\n")

        let result = try root.runFirstboot()
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains("configured instance iid-pasted"))
        #expect(!result.output.contains("p@ss"))

        let redis = try FakeRedis(root: root, port: port)
        defer { redis.stop() }
        let ping = try redis.cli(password: pastedPassword, ["PING"])
        #expect(ping.output == "PONG\n", "\(ping.output)")
        let trimmed = try redis.cli(password: pastedPassword.trimmingCharacters(in: .whitespaces), ["PING"])
        #expect(trimmed.output.contains("WRONGPASS"), "\(trimmed.output)")
    }

    @Test func aConfigurationRedisRefusesFailsFirstBootAndKeepsTheOldFile() throws {
        let root = try FakeRoot()
        defer { root.remove() }
        try root.setInstance("iid-refused")
        try root.write("/etc/redis/dibkit.conf", "# build-time default\nport 6379\n")
        try root.setUserData("#cloud-config\ndibkit:\n  redis:\n    password: \(yamlQuoted(pastedPassword))\n")
        // A redis-server that refuses every configuration, echoing the offending line as Redis 7 does.
        let bin = root.path("/test-bin")
        try root.write("/test-bin/redis-server", """
            #!/bin/sh
            echo '*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***'
            echo 'Reading the configuration file, at line 4'
            echo ">>> 'requirepass $(sed -n 's/^requirepass //p' "$1")'"
            echo 'Bad directive or wrong number of arguments'
            exit 1

            """)
        try #require(try runCommand(["chmod", "+x", "\(bin)/redis-server"]).status == 0)

        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        let result = try root.runFirstboot(environment: ["PATH": "\(bin):\(path)"])
        #expect(result.status == 1)
        #expect(result.output.contains("redis: error: redis-server refused the configuration"), "\(result.output)")
        #expect(result.output.contains("Bad directive or wrong number of arguments"), "\(result.output)")
        #expect(!result.output.contains("p@ss"), "\(result.output)")
        #expect(result.output.contains("hook 50-redis failed"))
        #expect(!root.exists("/var/lib/dibkit/firstboot-instance"))
        #expect(try root.read("/etc/redis/dibkit.conf") == "# build-time default\nport 6379\n")
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
