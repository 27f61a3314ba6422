import Foundation
import HostProcesses
import TestSupport
import Testing
import TestSupport

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
        #expect(settings.contains("ssl = on\n"))
        let rules = try root.read("\(etc)/pg_hba.conf").split(separator: "\n").map { $0.split(separator: " ") }
        #expect(rules.contains(["host", "all", "app", "127.0.0.0/8", "scram-sha-256"]))
        #expect(rules.contains(["host", "replication", "repl", "127.0.0.0/8", "scram-sha-256"]))
        #expect(!rules.contains { $0.last == "trust" || $0.last == "md5" })
        #expect(try root.mode("/etc/ssl/private/ssl-cert-snakeoil.key") == 0o640)
        #expect(try root.group("/etc/ssl/private/ssl-cert-snakeoil.key") == Int(getgrnam("ssl-cert")?.pointee.gr_gid ?? 0))
        #expect(try root.read("/etc/nftables.d/postgresql.nft").contains("tcp dport \(port) accept"))

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
}
