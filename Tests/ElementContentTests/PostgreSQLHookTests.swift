import Foundation
import HostProcesses
import TestSupport
import Testing

/// The PostgreSQL first-boot hook (`50-postgresql`) through the runner on a fake root holding a real cluster:
/// the configuration it writes, and the host's server started on it accepting exactly what user-data asked.
@Suite struct PostgreSQLHookTests {
    @Test(.enabled(if: canRunPostgreSQL, "needs root and the postgresql package"))
    func configuresTheClusterAndTheServerAcceptsTheRoleAndTheReplicationUser() throws {
        let root = try FakeRoot(database: "postgresql")
        defer { root.remove() }
        let cluster = try FakePostgreSQLCluster(in: root)
        let port = try freeLoopbackPort()
        try root.setInstance("iid-pg")
        try root.setUserData("""
            #cloud-config
            dibkit:
              postgresql:
                port: \(port)
                listen_addresses: 127.0.0.1
                user: app
                password: "App-pass-123"
                database: appdb
                replication_user: repl
                allowed_networks: [127.0.0.0/8]

            """)

        let run = try root.runFirstboot()
        #expect(run.status == 0, "\(run.output)")
        #expect(run.output.contains("dibkit-firstboot: configured instance iid-pg"))
        let credentials = try root.read("/etc/dibkit/credentials")
        let replicationPassword = try #require(
            credentials.split(separator: "\n").first { $0.hasPrefix("POSTGRESQL_REPLICATION_PASSWORD=") }?
                .split(separator: "=", maxSplits: 1).last.map(String.init))
        #expect(!credentials.contains("POSTGRESQL_PASSWORD="))
        #expect(!run.output.contains("App-pass-123") && !run.output.contains(replicationPassword))

        let etc = "/etc/postgresql/\(cluster.version)/main"
        let settings = try root.read("\(etc)/conf.d/50-dibkit.conf")
        #expect(settings.contains("port = \(port)\n") && settings.contains("listen_addresses = '127.0.0.1'\n"))
        #expect(settings.contains("ssl = on\n") && settings.contains("ssl_key_file = '/etc/dibkit/tls/server.key'\n"))
        #expect(!settings.contains("ssl_ca_file"))
        let rules = try root.read("\(etc)/pg_hba.conf").split(separator: "\n").map { $0.split(separator: " ") }
        #expect(rules.contains(["host", "all", "app", "127.0.0.0/8", "scram-sha-256"]))
        #expect(rules.contains(["host", "replication", "repl", "127.0.0.0/8", "scram-sha-256"]))
        #expect(!rules.contains { $0.last == "trust" || $0.last == "md5" })
        #expect(try root.mode("/etc/dibkit/tls/server.key") == 0o640)
        #expect(try root.group("/etc/dibkit/tls/server.key") == postgresGroup)
        #expect(try root.read("/etc/nftables.d/postgresql.nft")
            .contains("add rule inet filter input ip saddr { 127.0.0.0/8 } tcp dport \(port) accept"))
        #expect(try !root.read("/etc/nftables.d/postgresql.nft").contains("ip6 saddr"))

        let server = try cluster.start(port: port)
        defer { cluster.stop(server) }
        let query = "SELECT current_user || '@' || current_database(), ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()"
        let login = try cluster.psql(port: port, user: "app", password: "App-pass-123", database: "appdb", query)
        #expect(login.status == 0 && login.output == "app@appdb|t\n", "\(login.output)")
        let owner = try cluster.psql(port: port, user: "app", password: "App-pass-123", database: "appdb",
                                     "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'appdb'")
        #expect(owner.output == "app\n", "\(owner.output)")
        let bare = try cluster.psql(port: port, user: "app", password: nil, database: "appdb", "SELECT 1")
        #expect(bare.status != 0 && bare.output.contains("no password supplied"), "\(bare.output)")
        let replication = try cluster.psql(port: port, user: "repl", password: replicationPassword, database: "postgres",
                                           "IDENTIFY_SYSTEM", replication: true)
        #expect(replication.status == 0, "\(replication.output)")
        let replicationAsApp = try cluster.psql(port: port, user: "app", password: "App-pass-123", database: "postgres",
                                                "IDENTIFY_SYSTEM", replication: true)
        #expect(replicationAsApp.status != 0)
    }

    @Test(.enabled(if: canRunPostgreSQL, "needs root and the postgresql package"))
    func runsOncePerInstanceAndANewInstanceGetsANewPasswordThatReplacesTheOld() throws {
        let root = try FakeRoot(database: "postgresql")
        defer { root.remove() }
        let cluster = try FakePostgreSQLCluster(in: root)
        let port = try freeLoopbackPort()
        try root.setUserData("#cloud-config\ndibkit:\n  postgresql: {port: \(port), listen_addresses: 127.0.0.1}\n")
        func generated() throws -> String {
            try #require(try root.read("/etc/dibkit/credentials").split(separator: "\n")
                .first { $0.hasPrefix("POSTGRESQL_PASSWORD=") }.map { String($0.dropFirst("POSTGRESQL_PASSWORD=".count)) })
        }

        try root.setInstance("iid-one")
        #expect(try root.runFirstboot().status == 0)
        let first = try generated()
        #expect(try root.read("/etc/nftables.d/postgresql.nft")
            .contains("\nadd rule inet filter input tcp dport \(port) accept comment \"postgresql\"\n"))
        let rules = try root.read("/etc/postgresql/\(cluster.version)/main/pg_hba.conf")
            .split(separator: "\n").map { $0.split(separator: " ") }
        #expect(rules.contains(["host", "all", "dibkit", "0.0.0.0/0", "scram-sha-256"])
            && rules.contains(["host", "all", "dibkit", "::/0", "scram-sha-256"]))
        let again = try root.runFirstboot()
        #expect(again.output == "dibkit-firstboot: instance iid-one already configured\n")
        #expect(try generated() == first)
        try root.setInstance("iid-two")
        let second = try root.runFirstboot()
        #expect(second.status == 0, "\(second.output)")
        let current = try generated()
        #expect(current != first && !second.output.contains(current))

        let server = try cluster.start(port: port)
        defer { cluster.stop(server) }
        let login = try cluster.psql(port: port, user: "dibkit", password: current, database: "dibkit", "SELECT 1")
        #expect(login.status == 0 && login.output == "1\n", "\(login.output)")
        let old = try cluster.psql(port: port, user: "dibkit", password: first, database: "dibkit", "SELECT 1")
        #expect(old.status != 0 && old.output.contains("password authentication failed"), "\(old.output)")
    }

    @Test(.enabled(if: canRunPostgreSQL, "needs root and the postgresql package"))
    func anyPrintablePasswordsReachTheServerExactly() throws {
        let root = try FakeRoot(database: "postgresql")
        defer { root.remove() }
        let cluster = try FakePostgreSQLCluster(in: root)
        let port = try freeLoopbackPort()
        let replicationPassword = "$(id) `id` 'a' \"b\" \\c #d"
        try root.setInstance("iid-pg-pasted")
        try root.setUserData("""
            #cloud-config
            dibkit:
              postgresql:
                port: \(port)
                listen_addresses: 127.0.0.1
                user: app
                password: \(yamlQuoted(pastedPassword))
                replication_user: repl
                replication_password: \(yamlQuoted(replicationPassword))
                allowed_networks: [127.0.0.0/8]

            """)

        let run = try root.runFirstboot()
        #expect(run.status == 0, "\(run.output)")
        #expect(!run.output.contains("p@ss") && !run.output.contains("`id`"), "\(run.output)")

        let server = try cluster.start(port: port)
        defer { cluster.stop(server) }
        let login = try cluster.psql(port: port, user: "app", password: pastedPassword, database: "app", "SELECT current_user")
        #expect(login.status == 0 && login.output == "app\n", "\(login.output)")
        let trimmed = try cluster.psql(port: port, user: "app", password: pastedPassword.trimmingCharacters(in: .whitespaces),
                                       database: "app", "SELECT 1")
        #expect(trimmed.status != 0 && trimmed.output.contains("password authentication failed"), "\(trimmed.output)")
        let replication = try cluster.psql(port: port, user: "repl", password: replicationPassword, database: "postgres",
                                           "IDENTIFY_SYSTEM", replication: true)
        #expect(replication.status == 0, "\(replication.output)")
    }

    @Test(.enabled(if: canRunPostgreSQL, "needs root and the postgresql package"))
    func aConfigurationPostgresRefusesFailsFirstBoot() throws {
        let root = try FakeRoot(database: "postgresql")
        defer { root.remove() }
        let cluster = try FakePostgreSQLCluster(in: root)
        try root.write("/etc/postgresql/\(cluster.version)/main/conf.d/10-broken.conf", "work_mem = 'unbalanced\n")
        try root.setInstance("iid-pg-broken")
        try root.setUserData("#cloud-config\ndibkit:\n  postgresql: {password: \(yamlQuoted(pastedPassword))}\n")

        let run = try root.runFirstboot()
        #expect(run.status == 1)
        #expect(run.output.contains("postgresql: error: postgres -C refused the configuration"), "\(run.output)")
        #expect(run.output.contains("10-broken.conf"), "\(run.output)")
        #expect(!run.output.contains("p@ss"))
        #expect(run.output.contains("hook 50-postgresql failed"))
        #expect(!root.exists("/var/lib/dibkit/firstboot-instance"))
    }

    @Test(arguments: [
        ("port: 0", "postgresql.port 0 is not a TCP port"),
        ("user: \"app\\n\"", "postgresql.user 'app\\n' must be a lower-case name"),
        ("replication_user: \"re pl\"", "postgresql.replication_user 're pl' must be a lower-case name"),
        ("listen_addresses: \"fe80::1%x'y\"", "postgresql.listen_addresses entry \"fe80::1%x'y\" is not an IP address"),
        ("allowed_networks: [\"fe80::%x'/64\"]", "postgresql.allowed_networks entry \"fe80::%x'/64\" is not a network"),
        ("password: \"abcdefgh\\n\"", "postgresql.password holds a control character"),
        ("replication_password: \"abc\\tdefgh\"", "postgresql.replication_password holds a control character"),
        ("user: postgres", "postgresql.user 'postgres' must be a lower-case name"),
        ("database: \"My-DB\"", "postgresql.database 'My-DB' must be a lower-case name"),
        ("listen_addresses: example.org", "entry 'example.org' is not an IP address"),
        ("allowed_networks: [10.0.0.1/8]", "entry '10.0.0.1/8' is not a network in CIDR notation"),
        ("password: short", "postgresql.password must be 8 to 512 characters"),
        ("replication_password: long-enough-1", "replication_password is given without postgresql.replication_user"),
        ("colour: blue", "unknown postgresql setting(s) colour"),
    ])
    func rejectsBadValuesBeforeTouchingTheCluster(setting: String, message: String) throws {
        try expectHookRejects("postgresql", setting: setting, message: message)
    }

    @Test(.enabled(if: canRunPostgreSQL, "needs root and the postgresql package"))
    func tlsTrueMakesTheInstancesCertificateAndRefusesPlaintextOverTCP() throws {
        let root = try FakeRoot(database: "postgresql")
        defer { root.remove() }
        let cluster = try FakePostgreSQLCluster(in: root)
        let port = try freeLoopbackPort()
        try root.setInstance("iid-pg-tls")
        try root.setUserData("#cloud-config\ndibkit:\n  postgresql: {port: \(port), listen_addresses: 127.0.0.1, "
            + "password: App-pass-123, replication_user: repl, tls: true}\n")

        let run = try root.runFirstboot()
        #expect(run.status == 0, "\(run.output)")
        let settings = try root.read("/etc/postgresql/\(cluster.version)/main/conf.d/50-dibkit.conf")
        for line in ["ssl = on", "ssl_cert_file = '/etc/dibkit/tls/server.pem'",
                     "ssl_key_file = '/etc/dibkit/tls/server.key'", "ssl_ca_file = '/etc/dibkit/tls/ca.pem'"] {
            #expect(settings.contains(line + "\n"), "\(settings)")
        }
        #expect(try root.read("/etc/dibkit/tls/ca.pem") == root.read("/etc/dibkit/tls/server.pem"))
        #expect(try root.mode("/etc/dibkit/tls/server.key") == 0o640)
        #expect(try root.group("/etc/dibkit/tls/server.key") == postgresGroup)
        let rules = try root.read("/etc/postgresql/\(cluster.version)/main/pg_hba.conf")
            .split(separator: "\n").filter { !$0.hasPrefix("#") }.map { String($0.split(separator: " ")[0]) }
        #expect(Set(rules) == ["local", "hostssl"] && rules.filter { $0 == "hostssl" }.count == 6, "\(rules)")

        let server = try cluster.start(port: port)
        defer { cluster.stop(server) }
        let verified = try cluster.psql(port: port, user: "dibkit", password: "App-pass-123", database: "dibkit",
                                        "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
                                        options: "sslmode=verify-ca sslrootcert=\(root.path("/etc/dibkit/tls/ca.pem"))")
        #expect(verified.status == 0 && verified.output == "t\n", "\(verified.output)")
        let plain = try cluster.psql(port: port, user: "dibkit", password: "App-pass-123", database: "dibkit",
                                     "SELECT 1", options: "sslmode=disable")
        #expect(plain.status != 0 && plain.output.contains("no pg_hba.conf entry"), "\(plain.output)")
    }

    @Test(.enabled(if: canRunPostgreSQL, "needs root and the postgresql package"))
    func givenCertificateKeyAndCAAreInstalledAndClientsVerifyTheServerWithTheCA() throws {
        let certificates = try TestCertificates()
        defer { certificates.remove() }
        let server = try certificates.issue("db1")
        let root = try FakeRoot(database: "postgresql")
        defer { root.remove() }
        let cluster = try FakePostgreSQLCluster(in: root)
        let port = try freeLoopbackPort()
        try root.setInstance("iid-pg-tls-given")
        try root.setUserData("""
            #cloud-config
            dibkit:
              postgresql:
                port: \(port)
                listen_addresses: 127.0.0.1
                password: App-pass-123
                tls:
                  cert: \(yamlBlock(server.cert, indent: 8))
                  key: \(yamlBlock(server.key, indent: 8))
                  ca: \(yamlBlock(certificates.ca, indent: 8))

            """)

        let run = try root.runFirstboot()
        #expect(run.status == 0, "\(run.output)")
        #expect(!run.output.contains("PRIVATE KEY"))
        #expect(try root.read("/etc/dibkit/tls/server.pem") == server.cert)
        #expect(try root.read("/etc/dibkit/tls/server.key") == server.key)
        #expect(try root.read("/etc/dibkit/tls/ca.pem") == certificates.ca)
        #expect(try root.mode("/etc/dibkit/tls/server.key") == 0o640)

        let process = try cluster.start(port: port)
        defer { cluster.stop(process) }
        let verified = try cluster.psql(port: port, user: "dibkit", password: "App-pass-123", database: "dibkit",
                                        "SELECT 1", options: "sslmode=verify-ca sslrootcert=\(certificates.caFile)")
        #expect(verified.status == 0 && verified.output == "1\n", "\(verified.output)")
    }

    @Test func aGivenKeyThatIsNotTheCertificatesIsRefused() throws {
        let certificates = try TestCertificates()
        defer { certificates.remove() }
        let (one, other) = (try certificates.issue("one"), try certificates.issue("other"))
        let flow = { (pem: String) in "\"" + pem.replacingOccurrences(of: "\n", with: "\\n") + "\"" }
        try expectHookRejects("postgresql", setting: "tls: {cert: \(flow(one.cert)), key: \(flow(other.key))}",
                              message: "postgresql.tls.key is not the key of postgresql.tls.cert")
    }

    @Test(arguments: [
        ("standby_of: db1.example.org", "postgresql.standby_of 'db1.example.org' must be a map {host, port, user, password}"),
        ("standby_of: {user: repl, password: Repl-pass-1}", "postgresql.standby_of.host is missing"),
        ("standby_of: {host: 10.0.0.5, password: Repl-pass-1}", "postgresql.standby_of.user is missing"),
        ("standby_of: {host: 10.0.0.5, user: repl}", "postgresql.standby_of.password is missing"),
        ("standby_of: {host: 10.0.0.5, port: 70000, user: repl, password: Repl-pass-1}",
         "postgresql.standby_of.port 70000 is not a TCP port"),
        ("standby_of: {host: \"db1;x\", user: repl, password: Repl-pass-1}",
         "postgresql.standby_of.host 'db1;x' is not an IP address or a DNS name"),
        ("standby_of: {host: 10.0.0.5, user: Repl, password: Repl-pass-1}",
         "postgresql.standby_of.user 'Repl' must be a lower-case name"),
        ("standby_of: {host: 10.0.0.5, user: repl, password: short}", "postgresql.standby_of.password must be 8 to 512"),
        ("standby_of: {host: 10.0.0.5, user: repl, password: Repl-pass-1, sslmode: disable}",
         "unknown postgresql.standby_of field(s) sslmode; known: host, password, port, user"),
        ("standby_of: {host: 10.0.0.5, user: repl, password: Repl-pass-1}\n    password: App-pass-123",
         "postgresql.password is for a primary: a standby (postgresql.standby_of) has its primary's roles"),
        ("tls: yes-please", "postgresql.tls must be true, false or a map {cert: PEM, key: PEM, ca: PEM}"),
    ])
    func rejectsBadStandbyAndTLSValues(setting: String, message: String) throws {
        try expectHookRejects("postgresql", setting: setting, message: message)
    }

    @Test(.enabled(if: canRunPostgreSQL, "needs root and the postgresql package"))
    func aStandbyCopiesItsPrimaryOverVerifiedTLSAndAnswersReadOnlyQueries() throws {
        let certificates = try TestCertificates()
        defer { certificates.remove() }
        func section(_ name: String, port: Int, _ more: String) throws -> String {
            let issued = try certificates.issue(name)
            return """
                #cloud-config
                dibkit:
                  postgresql:
                    port: \(port)
                    listen_addresses: 127.0.0.1
                    user: app
                    replication_user: repl
                    allowed_networks: [127.0.0.0/8]
                    tls:
                      cert: \(yamlBlock(issued.cert, indent: 10))
                      key: \(yamlBlock(issued.key, indent: 10))
                      ca: \(yamlBlock(certificates.ca, indent: 10))
                \(more)

                """
        }
        let replicationPassword = "Repl:pa\\ss 'x'"
        let primaryRoot = try FakeRoot(database: "postgresql")
        defer { primaryRoot.remove() }
        let primary = try FakePostgreSQLCluster(in: primaryRoot)
        let primaryPort = try freeLoopbackPort()
        try primaryRoot.setInstance("iid-pg-primary")
        try primaryRoot.setUserData(try section("primary", port: primaryPort, """
                password: App-pass-123
                replication_password: \(yamlQuoted(replicationPassword))
            """))
        let configured = try primaryRoot.runFirstboot()
        try #require(configured.status == 0, "\(configured.output)")
        let primaryServer = try primary.start(port: primaryPort)
        defer { primary.stop(primaryServer) }
        let made = try primary.psql(port: primaryPort, user: "app", password: "App-pass-123", database: "app",
                                    "CREATE TABLE t AS SELECT 42 AS x")
        try #require(made.status == 0, "\(made.output)")

        let standbyRoot = try FakeRoot(database: "postgresql")
        defer { standbyRoot.remove() }
        let standby = try FakePostgreSQLCluster(in: standbyRoot)
        let standbyPort = try freeLoopbackPort()
        try standbyRoot.setInstance("iid-pg-standby")
        try standbyRoot.setUserData(try section("standby", port: standbyPort, """
                standby_of: {host: 127.0.0.1, port: \(primaryPort), user: repl, password: \(yamlQuoted(replicationPassword))}
            """))
        let run = try standbyRoot.runFirstboot()
        #expect(run.status == 0, "\(run.output)")
        #expect(run.output.contains("standby of 127.0.0.1:\(primaryPort)") && !run.output.contains("pa\\ss"),
                "\(run.output)")
        #expect(!((try? standbyRoot.read("/etc/dibkit/credentials")) ?? "").contains("POSTGRESQL_"))

        let data = "/var/lib/postgresql/\(standby.version)/main"
        #expect(standbyRoot.exists("\(data)/standby.signal"))
        #expect(try standbyRoot.read("\(data)/PG_VERSION") == standby.version + "\n")
        #expect(try standbyRoot.mode(data) == 0o700)
        let auto = try standbyRoot.read("\(data)/postgresql.auto.conf")
        #expect(auto.contains("primary_conninfo = 'host=''127.0.0.1'' port=''\(primaryPort)'' user=''repl''")
            && auto.contains("sslmode=''verify-ca''") && auto.contains("hot_standby = on\n"), "\(auto)")
        #expect(!auto.contains("pa\\ss"))
        let passfile = "/var/lib/postgresql/dibkit-standby.pgpass"
        #expect(try standbyRoot.mode(passfile) == 0o600)
        #expect(try (FileManager.default.attributesOfItem(atPath: standbyRoot.path(passfile))[.ownerAccountName] as? String)
            == "postgres")
        #expect(try !standbyRoot.read("/etc/postgresql/\(standby.version)/main/pg_hba.conf").contains("\nhost "))

        let standbyServer = try standby.start(port: standbyPort)
        defer { standby.stop(standbyServer) }
        let read = try standby.psql(port: standbyPort, user: "app", password: "App-pass-123", database: "app",
                                    "SELECT pg_is_in_recovery(), (SELECT x FROM t)")
        #expect(read.status == 0 && read.output == "t|42\n", "\(read.output)")
        let write = try standby.psql(port: standbyPort, user: "app", password: "App-pass-123", database: "app",
                                     "CREATE TABLE u (x int)")
        #expect(write.status != 0 && write.output.contains("read-only transaction"), "\(write.output)")
        var streaming = ""
        for _ in 0..<50 {  // the walreceiver connects within seconds
            streaming = try runCommand(["setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups", "psql", "-X",
                                        "-A", "-t", "-h", primary.runtime, "-p", "\(primaryPort)", "-d", "postgres", "-c",
                                        "SELECT usename, ssl FROM pg_stat_replication JOIN pg_stat_ssl USING (pid)"],
                                       in: URL(fileURLWithPath: "/")).output
            if streaming == "repl|t\n" { break }
            usleep(200_000)
        }
        #expect(streaming == "repl|t\n", "\(streaming)")
    }
}

/// The host's gid of group postgres (FakeRoot's /etc/group has it).
private let postgresGroup = Int(getgrnam("postgres")?.pointee.gr_gid ?? 0)
