import Foundation
import Testing
import TestSupport

/// The Redis and Valkey first-boot roles on a fake root: TLS (made or given), replica, Sentinel and client
/// networks. The host's redis-server reads every configuration written (TLS files loaded), as in the image.
@Suite struct RedisRolesHookTests {
    static let servers = RedisAndValkeyHookTests.servers

    /// A fake root for `server` with `settings` (YAML lines under `dibkit: {server: ...}`), run once.
    private func configure(_ server: String, _ settings: [String], sentinelInstalled: Bool = true) throws
        -> (root: FakeRoot, result: CommandResult)
    {
        let root = try FakeRoot(database: server)
        let path = try ServerOnPath(server, in: root)
        if sentinelInstalled {
            try root.write("/usr/lib/systemd/system/\(server)-sentinel.service", "[Service]\n")
        }
        try root.setInstance("iid-roles")
        let lines = settings.map { "    \($0)" }.joined(separator: "\n")
        try root.setUserData("#cloud-config\ndibkit:\n  \(server):\n    password: \"Roles-Pass 123\"\n\(lines)\n")
        return (root, try root.runFirstboot(environment: path.environment))
    }

    @Test(arguments: servers)
    func tlsTrueMakesTheInstancesCertificateAndTheServerSpeaksTLSOnly(server: String) throws {
        let (root, result) = try configure(server, ["tls: true", "port: 6390"])
        defer { root.remove() }
        #expect(result.status == 0, "\(result.output)")
        let config = try root.read("/etc/\(server)/dibkit.conf")
        for line in ["port 0\n", "tls-port 6390\n", "tls-cert-file /etc/dibkit/tls/server.pem\n",
                     "tls-key-file /etc/dibkit/tls/server.key\n", "tls-ca-cert-file /etc/dibkit/tls/ca.pem\n",
                     "tls-auth-clients no\n", "tls-replication yes\n"] {
            #expect(config.contains(line), "\(config)")
        }
        #expect(try root.mode("/etc/dibkit/tls/server.key") == 0o640)
        #expect(try root.group("/etc/dibkit/tls/server.key") == Int(root.serverGroup))
        #expect(try root.mode("/etc/dibkit") == 0o711)
        // Self-signed: clients trust the certificate itself; its names include the loopback addresses.
        #expect(try root.read("/etc/dibkit/tls/ca.pem") == root.read("/etc/dibkit/tls/server.pem"))
        let names = try runCommand(["openssl", "x509", "-in", root.path("/etc/dibkit/tls/server.pem"), "-noout",
                                    "-ext", "subjectAltName"]).output
        #expect(names.contains("IP Address:127.0.0.1") && names.contains("DNS:localhost"), "\(names)")
        #expect(result.output.contains("port 6390 (TLS only)"))
    }

    @Test(arguments: servers)
    func givenCertificatesAreCheckedAndTheCAIsWhatClientsTrust(server: String) throws {
        let authority = try TestCertificates()
        defer { authority.remove() }
        let issued = try authority.issue("db1", addresses: ["10.77.0.11"])
        let tls = "tls:\n      cert: \(yamlBlock(issued.cert, indent: 8))\n"
            + "      key: \(yamlBlock(issued.key, indent: 8))\n"
            + "      ca: \(yamlBlock(authority.ca, indent: 8))"
        let (root, result) = try configure(server, [tls])
        defer { root.remove() }
        #expect(result.status == 0, "\(result.output)")
        #expect(try root.read("/etc/dibkit/tls/ca.pem") == authority.ca)
        #expect(try root.read("/etc/dibkit/tls/server.pem") == issued.cert)
        #expect(!result.output.contains("PRIVATE KEY"))

        // Another certificate's key is refused before anything is written.
        let other = try authority.issue("db2", addresses: ["10.77.0.12"])
        let mismatched = tls.replacingOccurrences(of: yamlBlock(issued.key, indent: 8),
                                                  with: yamlBlock(other.key, indent: 8))
        let (refusedRoot, refused) = try configure(server, [mismatched])
        defer { refusedRoot.remove() }
        #expect(refused.status == 1)
        #expect(refused.output.contains("\(server).tls.key is not the key of \(server).tls.cert"), "\(refused.output)")
        #expect(!refusedRoot.exists("/etc/dibkit/tls/server.key"))
        #expect(!refused.output.contains("PRIVATE KEY"))
    }

    @Test(arguments: servers)
    func aReplicaFollowsItsPrimaryReadOnlyWithThePrimarysPassword(server: String) throws {
        let (root, result) = try configure(server, ["replica_of: \"10.77.0.11:6379\"", "primary_password: \"Primary-Pass 9\""])
        defer { root.remove() }
        #expect(result.status == 0, "\(result.output)")
        let config = try root.read("/etc/\(server)/dibkit.conf")
        #expect(config.contains("replicaof 10.77.0.11 6379\nreplica-read-only yes\n"), "\(config)")
        #expect(config.contains("masterauth \"Primary-Pass 9\"\n"))
        #expect(!result.output.contains("Primary-Pass"))

        // Without primary_password the replica's own password is the primary's.
        let (sameRoot, same) = try configure(server, ["replica_of: \"[fd00::11]:6380\""])
        defer { sameRoot.remove() }
        #expect(same.status == 0, "\(same.output)")
        let sameConfig = try sameRoot.read("/etc/\(server)/dibkit.conf")
        #expect(sameConfig.contains("replicaof fd00::11 6380\n") && sameConfig.contains("masterauth \"Roles-Pass 123\"\n"))
    }

    @Test(arguments: servers)
    func sentinelGetsItsOwnFileThePasswordAndAFirewallRule(server: String) throws {
        let (root, result) = try configure(server, [
            "replica_of: \"10.77.0.11:6379\"", "allowed_networks: [10.77.0.0/24, \"fd00::/64\"]",
            "sentinel: {monitor: \"10.77.0.11:6379\", quorum: 2, down_after_ms: 3000}"])
        defer { root.remove() }
        #expect(result.status == 0, "\(result.output)")
        let sentinel = try root.read("/etc/\(server)/sentinel.conf")
        for line in ["port 26379\n", "requirepass \"Roles-Pass 123\"\n", "sentinel sentinel-pass \"Roles-Pass 123\"\n",
                     "sentinel monitor mymaster 10.77.0.11 6379 2\n", "sentinel auth-pass mymaster \"Roles-Pass 123\"\n",
                     "sentinel down-after-milliseconds mymaster 3000\n"] {
            #expect(sentinel.contains(line), "\(sentinel)")
        }
        // Writable by Sentinel's user only.
        #expect(try root.mode("/etc/\(server)/sentinel.conf") == 0o600)
        let rules = try root.read("/etc/nftables.d/\(server)-sentinel.nft")
        #expect(rules.contains("ip saddr { 10.77.0.0/24 } tcp dport 26379 accept"), "\(rules)")
        #expect(rules.contains("ip6 saddr { fd00::/64 } tcp dport 26379 accept"), "\(rules)")
        #expect(try root.read("/etc/nftables.d/\(server).nft").contains("ip saddr { 10.77.0.0/24 } tcp dport 6379 accept"))
        #expect(result.output.contains("would run: systemctl enable --quiet \(server)-sentinel.service"))
        // Every member authenticates to whichever instance Sentinel makes primary.
        #expect(try root.read("/etc/\(server)/dibkit.conf").contains("masterauth \"Roles-Pass 123\"\n"))
    }

    @Test(arguments: servers)
    func withoutSentinelItIsStoppedAndItsPortClosed(server: String) throws {
        let (root, result) = try configure(server, [])
        defer { root.remove() }
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains("would run: systemctl disable --now --quiet \(server)-sentinel.service"))
        #expect(!root.exists("/etc/nftables.d/\(server)-sentinel.nft"))
        #expect(try root.read("/etc/nftables.d/\(server).nft").contains("tcp dport 6379 accept comment"))
        #expect(try !root.read("/etc/nftables.d/\(server).nft").contains("saddr"))
    }

    @Test(arguments: servers)
    func sentinelNeedsAPrimaryAndItsPackage(server: String) throws {
        let (root, result) = try configure(server, ["sentinel: {quorum: 1}"])
        defer { root.remove() }
        #expect(result.status == 1)
        #expect(result.output.contains("\(server).sentinel.monitor is missing"), "\(result.output)")

        let (bareRoot, bare) = try configure(server, ["sentinel: {monitor: \"10.0.0.1:6379\"}"], sentinelInstalled: false)
        defer { bareRoot.remove() }
        #expect(bare.status == 1)
        #expect(bare.output.contains("\(server)-sentinel.service is not installed"), "\(bare.output)")
    }

    /// A setting and the error it gets, `NAME` standing for the server's section.
    @Test(arguments: servers, [
        ("replica_of: 10.0.0.1", "NAME.replica_of '10.0.0.1' must be \"HOST:PORT\""),
        ("replica_of: \"10.0.0.1:0\"", "NAME.replica_of port '0' is not a TCP port"),
        ("replica_of: \"fd00::1:6379\"", "NAME.replica_of 'fd00::1:6379' must be \"HOST:PORT\""),
        ("sentinel: {quorum: 0, monitor: \"10.0.0.1:6379\"}", "NAME.sentinel.quorum 0 must be an integer from 1 to 100"),
        ("sentinel: {name: \"my master\", monitor: \"10.0.0.1:6379\"}", "NAME.sentinel.name 'my master' must be"),
        ("sentinel: {montior: \"10.0.0.1:6379\"}", "unknown NAME.sentinel setting(s) montior"),
        ("sentinel: [10.0.0.1]", "NAME.sentinel must be a map"),
        ("tls: {cert: abc, key: def}", "NAME.tls.cert is not PEM text"),
        ("tls: {cert: abc}", "NAME.tls.key is missing"),
        ("tls: yes-please", "NAME.tls must be true, false or a map"),
        ("allowed_networks: [10.0.0.1/8]", "NAME.allowed_networks entry '10.0.0.1/8' is not a network"),
        ("primary_password: short", "NAME.primary_password must be 8 to 512 characters"),
    ])
    func rejectsBadRoleSettings(server: String, rejected: (setting: String, message: String)) throws {
        try expectHookRejects(
            server, setting: rejected.setting, message: rejected.message.replacingOccurrences(of: "NAME", with: server))
    }
}
