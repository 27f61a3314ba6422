import Foundation
import HostProcesses
import Testing
import TestSupport

/// The Redis and Valkey first-boot hooks (`50-redis`, `50-valkey`: redis-common's `dibkit_redis` given the
/// server's name) through the runner on a fake root: passwords, validation, firewall.
///
/// The host (Debian 12) has no Valkey: Valkey 8.1 reads Redis's configuration language and speaks its protocol,
/// so the host's redis-server stands in under valkey-server's name (`ServerOnPath`) wherever the hook starts one.
@Suite struct RedisAndValkeyHookTests {
    static let servers = ["redis", "valkey"]

    @Test(arguments: servers)
    func generatesAPasswordIntoARootOnlyFileWithoutPrintingIt(server: String) throws {
        let root = try FakeRoot(database: server)
        defer { root.remove() }
        let path = try ServerOnPath(server, in: root)
        try root.setInstance("iid-secret")
        try root.setUserData("#cloud-config\ndibkit:\n  \(server):\n    port: 6381\n")

        let result = try root.runFirstboot(environment: path.environment)
        #expect(result.status == 0, "\(result.output)")

        let credential = "\(server.uppercased())_PASSWORD="
        let credentials = try root.read("/etc/dibkit/credentials")
        let line = try #require(credentials.split(separator: "\n").first { $0.hasPrefix(credential) })
        let password = String(line.dropFirst(credential.count))
        #expect(password.count >= 32)
        #expect(try root.mode("/etc/dibkit/credentials") == 0o600)
        #expect(try root.mode("/etc/dibkit") == 0o711)
        #expect(!result.output.contains(password))

        let config = try root.read("/etc/\(server)/dibkit.conf")
        #expect(config.contains("requirepass \"\(password)\"\n"))
        #expect(try root.mode("/etc/\(server)/dibkit.conf") == 0o640)
        #expect(try root.group("/etc/\(server)/dibkit.conf") == Int(root.serverGroup))
        #expect(try root.read("/etc/nftables.d/\(server).nft").contains("tcp dport 6381 accept comment \"\(server)\""))

        // A new instance without a password gets a new one.
        try root.setInstance("iid-secret-2")
        let again = try root.runFirstboot(environment: path.environment)
        #expect(again.status == 0, "\(again.output)")
        #expect(try !root.read("/etc/dibkit/credentials").contains(password))
    }

    @Test(arguments: servers)
    func aGivenPasswordIsUsedAndNotStoredInCredentials(server: String) throws {
        let root = try FakeRoot(database: server)
        defer { root.remove() }
        let path = try ServerOnPath(server, in: root)
        try root.setInstance("iid-given")
        try root.write("/etc/dibkit/credentials", "OTHER=kept\n\(server.uppercased())_PASSWORD=stale-value\n")
        try root.setUserData("#cloud-config\ndibkit:\n  \(server):\n    password: \"Given-Pass-123\"\n")

        let result = try root.runFirstboot(environment: path.environment)
        #expect(result.status == 0, "\(result.output)")
        #expect(!result.output.contains("Given-Pass-123"))
        #expect(try root.read("/etc/\(server)/dibkit.conf").contains("requirepass \"Given-Pass-123\"\n"))
        #expect(try root.read("/etc/dibkit/credentials") == "OTHER=kept\n")
    }

    /// A setting and the error it gets, `NAME` standing for the server's section.
    @Test(arguments: servers, [
        ("port: 0", "NAME.port 0 is not a TCP port"),
        ("port: 65536", "NAME.port 65536 is not a TCP port"),
        ("port: \"63x9\"", "NAME.port '63x9' is not a TCP port"),
        ("port: true", "NAME.port True is not a TCP port"),
        ("maxmemory_policy: lru", "NAME.maxmemory_policy 'lru' is not one of"),
        ("maxmemory: 12tb", "NAME.maxmemory '12tb' is not a size"),
        ("bind: \"10.0.0.1 example.org\"", "NAME.bind address 'example.org' is not an IP address"),
        ("password: \"short\"", "NAME.password must be 8 to 512 characters"),
        ("password: \"trailing-newline\\n\"", "NAME.password holds a control character"),
        ("password: 12345678", "NAME.password must be a string"),
        ("bind: \"fe80::1%eth0\\\"x\"", "NAME.bind address 'fe80::1%eth0\"x' is not an IP address"),
        ("passwd: abcdefgh", "unknown NAME setting(s) passwd"),
    ])
    func rejectsBadValues(server: String, rejected: (setting: String, message: String)) throws {
        try expectHookRejects(
            server, setting: rejected.setting, message: rejected.message.replacingOccurrences(of: "NAME", with: server))
    }

    @Test(.enabled(if: canRunRedis, "needs redis-server and redis-cli (apt)"), arguments: servers)
    func anyPrintablePasswordReachesTheServerExactly(server: String) throws {
        let root = try FakeRoot(database: server)
        defer { root.remove() }
        let path = try ServerOnPath(server, in: root)
        let port = try freeLoopbackPort()
        try root.setInstance("iid-pasted")
        try root.setUserData("#cloud-config\ndibkit:\n  \(server):\n    port: \(port)\n    bind: 127.0.0.1\n"
            + "    password: \(yamlQuoted(pastedPassword))\n")

        let result = try root.runFirstboot(environment: path.environment)
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains("configured instance iid-pasted"))
        #expect(!result.output.contains("p@ss"))

        let redis = try FakeRedis(root: root, config: "/etc/\(server)/dibkit.conf", port: port)
        defer { redis.stop() }
        let ping = try redis.cli(password: pastedPassword, ["PING"])
        #expect(ping.output == "PONG\n", "\(ping.output)")
        let trimmed = try redis.cli(password: pastedPassword.trimmingCharacters(in: .whitespaces), ["PING"])
        #expect(trimmed.output.contains("WRONGPASS"), "\(trimmed.output)")
    }

    @Test(arguments: servers)
    func aConfigurationTheServerRefusesFailsFirstBootAndKeepsTheOldFile(server: String) throws {
        let root = try FakeRoot(database: server)
        defer { root.remove() }
        try root.setInstance("iid-refused")
        try root.write("/etc/\(server)/dibkit.conf", "# build-time default\nport 6379\n")
        try root.setUserData("#cloud-config\ndibkit:\n  \(server):\n    password: \(yamlQuoted(pastedPassword))\n")
        // A server that refuses every configuration, echoing the offending line as Redis 7 and Valkey 8 do.
        let bin = root.path("/test-bin")
        try root.write("/test-bin/\(server)-server", """
            #!/bin/sh
            echo '*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***'
            echo 'Reading the configuration file, at line 4'
            echo ">>> 'requirepass $(sed -n 's/^requirepass //p' "$1")'"
            echo 'Bad directive or wrong number of arguments'
            exit 1

            """)
        try #require(try runCommand(["chmod", "+x", "\(bin)/\(server)-server"]).status == 0)

        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        let result = try root.runFirstboot(environment: ["PATH": "\(bin):\(path)"])
        #expect(result.status == 1)
        #expect(result.output.contains("\(server): error: \(server)-server refused the configuration"), "\(result.output)")
        #expect(result.output.contains("Bad directive or wrong number of arguments"), "\(result.output)")
        #expect(!result.output.contains("p@ss"), "\(result.output)")
        #expect(result.output.contains("hook 50-\(server) failed"))
        #expect(!root.exists("/var/lib/dibkit/firstboot-instance"))
        #expect(try root.read("/etc/\(server)/dibkit.conf") == "# build-time default\nport 6379\n")
    }

    @Test(arguments: servers)
    func acceptsAListOfBindAddresses(server: String) throws {
        let root = try FakeRoot(database: server)
        defer { root.remove() }
        let path = try ServerOnPath(server, in: root)
        try root.setInstance("iid-bind")
        try root.setUserData("#cloud-config\ndibkit:\n  \(server):\n    bind: [127.0.0.1, \"-::1\", 10.1.2.3]\n")

        let result = try root.runFirstboot(environment: path.environment)
        #expect(result.status == 0, "\(result.output)")
        #expect(try root.read("/etc/\(server)/dibkit.conf").contains("bind 127.0.0.1 -::1 10.1.2.3\n"))
    }

    @Test(arguments: servers)
    func asksSystemdToReloadTheFirewallAndRestartARunningServer(server: String) throws {
        let root = try FakeRoot(database: server)
        defer { root.remove() }
        let path = try ServerOnPath(server, in: root)
        try root.setInstance("iid-units")

        let result = try root.runFirstboot(environment: path.environment)
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains("would run: systemctl reload-or-restart nftables.service"))
        #expect(result.output.contains("would run: systemctl try-restart \(server)-server.service"))
    }
}

/// The PATH under which the hook for `server` finds a `NAME-server`: the host's own for Redis; for Valkey (not
/// packaged on the host) a `valkey-server` in the fake root that runs the host's redis-server.
struct ServerOnPath {
    /// The environment to run first boot with.
    let environment: [String: String]

    init(_ server: String, in root: FakeRoot) throws {
        guard server != "redis" else {
            environment = [:]
            return
        }
        try root.write("/test-bin/\(server)-server", "#!/bin/sh\nexec redis-server \"$@\"\n")
        try #require(try runCommand(["chmod", "+x", root.path("/test-bin/\(server)-server")]).status == 0)
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        environment = ["PATH": "\(root.path("/test-bin")):\(path)"]
    }
}
