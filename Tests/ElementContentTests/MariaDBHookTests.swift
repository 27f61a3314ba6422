import Foundation
import HostProcesses
import TestSupport
import Testing

/// The MariaDB first-boot hook (`50-mariadb`) through the runner on a fake root holding real system tables:
/// the option file it writes, and the host's server started on it accepting exactly what user-data asked.
@Suite struct MariaDBHookTests {
    @Test(.enabled(if: canRunMariaDB, "needs root and the mariadb-server package"))
    func configuresTheServerAndItAcceptsTheUserAndRoot() throws {
        let root = try FakeRoot(database: "mariadb")
        defer { root.remove() }
        let mariadb = try FakeMariaDB(in: root)
        let port = try freeLoopbackPort()
        try root.setInstance("iid-maria")
        try root.setUserData("""
            #cloud-config
            dibkit:
              mariadb: {port: \(port), bind_address: 127.0.0.1, database: shop, user: app, password: "App-pass-123", root_host: "%"}

            """)

        let run = try root.runFirstboot()
        #expect(run.status == 0, "\(run.output)")
        let credentials = try root.read("/etc/dibkit/credentials")
        let rootPassword = try #require(credentials.split(separator: "\n")
            .first { $0.hasPrefix("MARIADB_ROOT_PASSWORD=") }.map { String($0.dropFirst("MARIADB_ROOT_PASSWORD=".count)) })
        #expect(!credentials.contains("MARIADB_PASSWORD="))
        #expect(!run.output.contains("App-pass-123") && !run.output.contains(rootPassword))
        let options = try root.read("/etc/mysql/mariadb.conf.d/99-dibkit.cnf")
        #expect(options.contains("[mysqld]\nbind-address = 127.0.0.1\nport = \(port)\nserver_id = "), "\(options)")
        #expect(options.contains("log_bin = mariadb-bin\n") && !options.contains("ssl") && !options.contains("read_only"))
        #expect(try root.read("/etc/nftables.d/mariadb.nft").contains("add rule inet filter input tcp dport \(port) accept"))

        try mariadb.start()
        defer { mariadb.stop() }
        let tcp = ["--protocol=TCP", "-h", "127.0.0.1", "-P", "\(port)", "--batch", "--skip-column-names"]
        let login = try mariadb.client(password: "App-pass-123", tcp + ["-u", "app", "-e",
            "SELECT CONCAT(CURRENT_USER(), ' ', DATABASE(), ' ', @@character_set_database)", "shop"])
        #expect(login.status == 0 && login.output == "app@% shop utf8mb4\n", "\(login.output)")
        let bare = try mariadb.client(password: nil, tcp + ["-u", "app", "-e", "SELECT 1", "shop"])
        #expect(bare.status != 0 && bare.output.contains("using password: NO"), "\(bare.output)")
        let other = try mariadb.client(password: "App-pass-123", tcp + ["-u", "app", "-e", "SELECT 1", "mysql"])
        #expect(other.status != 0 && other.output.contains("Access denied"), "\(other.output)")
        let rootByPassword = try mariadb.client(password: rootPassword, tcp + ["-u", "root", "-e", "SELECT 1"])
        #expect(rootByPassword.status == 0, "\(rootByPassword.output)")
        let rootBySocket = try mariadb.client(password: nil, ["--socket=\(mariadb.socket)", "-u", "root", "--batch",
            "--skip-column-names", "-e", "SELECT host FROM mysql.user WHERE user = 'root' ORDER BY host"])
        #expect(rootBySocket.status == 0 && rootBySocket.output == "%\nlocalhost\n", "\(rootBySocket.output)")
        let logging = try mariadb.asRoot("SELECT @@server_id, @@log_bin, @@binlog_format, @@read_only")
        let serverID = try #require(UInt64(logging.output.split(separator: "\t").first ?? ""), "\(logging.output)")
        #expect((1...4_294_967_295).contains(serverID) && options.contains("server_id = \(serverID)\n"))
        #expect(logging.output.hasSuffix("\t1\tROW\t0\n"), "\(logging.output)")
    }

    @Test(.enabled(if: canRunMariaDB, "needs root and the mariadb-server package"))
    func tlsTrueMakesTheServerRefusePlaintextAndANewInstanceWithoutItDropsTheFiles() throws {
        let root = try FakeRoot(database: "mariadb")
        defer { root.remove() }
        let mariadb = try FakeMariaDB(in: root)
        let port = try freeLoopbackPort()
        try root.setInstance("iid-maria-tls")
        try root.setUserData("""
            #cloud-config
            dibkit:
              mariadb: {port: \(port), bind_address: 127.0.0.1, password: "App-pass-123", tls: true,
                        allowed_networks: [127.0.0.0/8, "::1/128"]}

            """)

        let run = try root.runFirstboot()
        #expect(run.status == 0, "\(run.output)")
        #expect(try root.read("/etc/mysql/mariadb.conf.d/99-dibkit.cnf").hasSuffix("""
            ssl_cert = /etc/dibkit/tls/server.pem
            ssl_key = /etc/dibkit/tls/server.key
            ssl_ca = /etc/dibkit/tls/ca.pem
            require_secure_transport = ON

            """))
        #expect(try root.mode("/etc/dibkit/tls/server.key") == 0o640)
        #expect(try root.group("/etc/dibkit/tls/server.key") == Int(getgrnam("mysql")!.pointee.gr_gid))
        let firewall = try root.read("/etc/nftables.d/mariadb.nft")
        #expect(firewall.contains("ip saddr { 127.0.0.0/8 } tcp dport \(port) accept"), "\(firewall)")
        #expect(firewall.contains("ip6 saddr { ::1/128 } tcp dport \(port) accept"), "\(firewall)")

        try mariadb.start(arguments: mariadb.tlsFromRoot)
        let tcp = ["--protocol=TCP", "-h", "127.0.0.1", "-P", "\(port)", "-u", "dibkit", "--batch", "--skip-column-names"]
        let secure = try mariadb.client(password: "App-pass-123", tcp + ["--ssl", "--ssl-ca=\(root.path("/etc/dibkit/tls/ca.pem"))",
            "--ssl-verify-server-cert", "-e", "SHOW STATUS LIKE 'Ssl_version'", "dibkit"])
        #expect(secure.status == 0 && secure.output.hasPrefix("Ssl_version\tTLSv1."), "\(secure.output)")
        let plain = try mariadb.client(password: "App-pass-123", tcp + ["--skip-ssl", "-e", "SELECT 1", "dibkit"])
        #expect(plain.status != 0, "\(plain.output)")
        mariadb.stop()

        try root.setInstance("iid-maria-plain")
        try root.setUserData("#cloud-config\ndibkit:\n  mariadb: {port: \(port), bind_address: 127.0.0.1}\n")
        #expect(try root.runFirstboot().status == 0)
        #expect(!root.exists("/etc/dibkit/tls/server.key") && !root.exists("/etc/dibkit/tls/ca.pem"))
        #expect(!(try root.read("/etc/mysql/mariadb.conf.d/99-dibkit.cnf").contains("ssl")))
        #expect(try root.read("/etc/nftables.d/mariadb.nft").contains("input tcp dport \(port) accept"))
    }

    /// A primary and a replica, each with a certificate from one CA: the replica verifies the primary's, follows
    /// it by GTID from its first transaction, and is read-only for the application user.
    @Test(.enabled(if: canRunMariaDB, "needs root and the mariadb-server package"))
    func aReplicaFollowsItsPrimaryOverVerifiedTLS() throws {
        let authority = try TestCertificates()
        defer { authority.remove() }
        let (primaryRoot, replicaRoot) = (try FakeRoot(database: "mariadb"), try FakeRoot(database: "mariadb"))
        defer { primaryRoot.remove(); replicaRoot.remove() }
        let (primary, replica) = (try FakeMariaDB(in: primaryRoot), try FakeMariaDB(in: replicaRoot))
        let (primaryPort, replicaPort) = (try freeLoopbackPort(), try freeLoopbackPort())
        let replicationPassword = "Repl 'pass' \"\\ 123"
        let hexPassword = Data(replicationPassword.utf8).map { String(format: "%02x", $0) }.joined()
        func userData(port: Int, name: String, _ extra: String) throws -> String {
            let (cert, key) = try authority.issue(name)
            return """
                #cloud-config
                dibkit:
                  mariadb:
                    port: \(port)
                    bind_address: 127.0.0.1
                    database: shop
                    user: app
                    password: App-pass-123
                    tls:
                      cert: \(yamlBlock(cert, indent: 8))
                      key: \(yamlBlock(key, indent: 8))
                      ca: \(yamlBlock(authority.ca, indent: 8))
                \(extra)

                """
        }
        try primaryRoot.setInstance("iid-primary")
        try primaryRoot.setUserData(try userData(port: primaryPort, name: "primary", """
                replication_user: repl
                replication_password: \(yamlQuoted(replicationPassword))
            """))
        try replicaRoot.setInstance("iid-replica")
        try replicaRoot.setUserData(try userData(port: replicaPort, name: "replica", """
                replica_of: {host: 127.0.0.1, port: \(primaryPort), user: repl, password: \(yamlQuoted(replicationPassword))}
            """))

        for root in [primaryRoot, replicaRoot] {
            let run = try root.runFirstboot()
            #expect(run.status == 0, "\(run.output)")
            #expect(!run.output.contains("Repl ") && !run.output.contains(hexPassword), "\(run.output)")
            #expect(!(try root.read("/etc/dibkit/credentials").contains("REPLICATION")))
        }
        let replicaOptions = try replicaRoot.read("/etc/mysql/mariadb.conf.d/99-dibkit.cnf")
        #expect(replicaOptions.hasSuffix("read_only = ON\n"), "\(replicaOptions)")

        try primary.start(arguments: primary.tlsFromRoot)
        defer { primary.stop() }
        let grants = try primary.asRoot("SHOW GRANTS FOR 'repl'@'%'")
        #expect(grants.output.contains("GRANT REPLICATION SLAVE ON *.* TO `repl`@`%`") && grants.output.contains("REQUIRE SSL"),
                "\(grants.output)")
        #expect(try primary.asRoot("CREATE TABLE shop.t (a INT PRIMARY KEY); INSERT INTO shop.t VALUES (42)").status == 0)

        // The CA the replica verifies with is named as in the image; the test's server reads it from the fake root.
        try replica.start(arguments: replica.tlsFromRoot + ["--skip-slave-start"])
        defer { replica.stop() }
        func replicaStatus() throws -> String {
            try replica.client(password: nil, ["--socket=\(replica.socket)", "-u", "root", "-e", "SHOW SLAVE STATUS\\G"]).output
        }
        let status = try replicaStatus()
        for field in ["Master_Host: 127.0.0.1", "Master_User: repl", "Master_Port: \(primaryPort)", "Using_Gtid: Slave_Pos",
                      "Master_SSL_Allowed: Yes", "Master_SSL_CA_File: /etc/dibkit/tls/ca.pem",
                      "Master_SSL_Verify_Server_Cert: Yes"] {
            #expect(status.contains(field), "\(field) in \(status)")
        }
        #expect(try replica.asRoot("CHANGE MASTER TO MASTER_SSL_CA = '\(replicaRoot.path("/etc/dibkit/tls/ca.pem"))'; START SLAVE")
            .status == 0)
        var copied = ""
        for _ in 0..<150 where copied != "42\n" {  // a bound on a stuck replica, far above a normal catch-up
            copied = (try? replica.asRoot("SELECT a FROM shop.t").output) ?? ""
            usleep(200_000)
        }
        #expect(copied == "42\n", "\((try? replicaStatus()) ?? "")")
        let ids = try [primary, replica].map { try $0.asRoot("SELECT @@server_id").output }
        #expect(ids[0] != ids[1])
        let write = try replica.client(password: "App-pass-123", ["--protocol=TCP", "-h", "127.0.0.1", "-P", "\(replicaPort)",
            "-u", "app", "-e", "INSERT INTO t VALUES (1)", "shop"])
        #expect(write.status != 0 && write.output.contains("read-only"), "\(write.output)")
    }

    @Test func givenTLSWhoseKeyIsAnotherCertificatesIsRefused() throws {
        let authority = try TestCertificates()
        defer { authority.remove() }
        let (first, second) = (try authority.issue("first"), try authority.issue("second"))
        func quoted(_ pem: String) -> String { "\"" + pem.replacingOccurrences(of: "\n", with: "\\n") + "\"" }
        try expectHookRejects("mariadb", setting: "tls: {cert: \(quoted(first.cert)), key: \(quoted(second.key))}",
                              message: "mariadb.tls.key is not the key of mariadb.tls.cert")
    }

    @Test(.enabled(if: canRunMariaDB, "needs root and the mariadb-server package"))
    func aNewInstanceGetsNewGeneratedPasswordsThatReplaceTheOld() throws {
        let root = try FakeRoot(database: "mariadb")
        defer { root.remove() }
        let mariadb = try FakeMariaDB(in: root)
        let port = try freeLoopbackPort()
        try root.setUserData("#cloud-config\ndibkit:\n  mariadb: {port: \(port), bind_address: 127.0.0.1}\n")
        func generated() throws -> [String: String] {
            Dictionary(uniqueKeysWithValues: try root.read("/etc/dibkit/credentials").split(separator: "\n").map {
                let parts = $0.split(separator: "=", maxSplits: 1).map(String.init)
                return (parts[0], parts[1])
            })
        }

        try root.setInstance("iid-one")
        #expect(try root.runFirstboot().status == 0)
        let first = try generated()
        try root.setInstance("iid-two")
        #expect(try root.runFirstboot().status == 0)
        let second = try generated()
        #expect(Set(second.keys) == ["MARIADB_PASSWORD", "MARIADB_ROOT_PASSWORD"])
        #expect(second["MARIADB_PASSWORD"] != first["MARIADB_PASSWORD"])
        #expect(second["MARIADB_ROOT_PASSWORD"] != first["MARIADB_ROOT_PASSWORD"])

        try mariadb.start()
        defer { mariadb.stop() }
        let tcp = ["--protocol=TCP", "-h", "127.0.0.1", "-P", "\(port)", "-u", "dibkit", "-e", "SELECT 1", "dibkit"]
        #expect(try mariadb.client(password: second["MARIADB_PASSWORD"], tcp).status == 0)
        #expect(try mariadb.client(password: first["MARIADB_PASSWORD"], tcp).output.contains("Access denied"))
    }

    @Test(.enabled(if: canRunMariaDB, "needs root and the mariadb-server package"))
    func anyPrintablePasswordsReachTheServerExactly() throws {
        let root = try FakeRoot(database: "mariadb")
        defer { root.remove() }
        let mariadb = try FakeMariaDB(in: root)
        let port = try freeLoopbackPort()
        let rootPassword = "x'; DROP USER 'app'@'%'; -- \\ \"$HOME\" `id` #"
        try root.setInstance("iid-maria-pasted")
        try root.setUserData("""
            #cloud-config
            dibkit:
              mariadb:
                port: \(port)
                bind_address: 127.0.0.1
                user: app
                password: \(yamlQuoted(pastedPassword))
                root_password: \(yamlQuoted(rootPassword))
                root_host: "%"

            """)

        let run = try root.runFirstboot()
        #expect(run.status == 0, "\(run.output)")
        #expect(!run.output.contains("p@ss") && !run.output.contains("DROP USER"), "\(run.output)")

        try mariadb.start()
        defer { mariadb.stop() }
        let tcp = ["--protocol=TCP", "-h", "127.0.0.1", "-P", "\(port)", "--batch", "--skip-column-names", "-e"]
        let login = try mariadb.client(password: pastedPassword, tcp + ["SELECT CURRENT_USER()", "-u", "app", "dibkit"])
        #expect(login.status == 0 && login.output == "app@%\n", "\(login.output)")
        let trimmed = try mariadb.client(password: pastedPassword.trimmingCharacters(in: .whitespaces),
                                         tcp + ["SELECT 1", "-u", "app", "dibkit"])
        #expect(trimmed.status != 0 && trimmed.output.contains("Access denied"), "\(trimmed.output)")
        // From 127.0.0.1 the server picks root@localhost: unix_socket fails over TCP, the password logs in.
        let rootLogin = try mariadb.client(password: rootPassword, tcp + ["SELECT CURRENT_USER()", "-u", "root"])
        #expect(rootLogin.status == 0 && rootLogin.output == "root@localhost\n", "\(rootLogin.output)")
    }

    @Test(arguments: [
        ("user: \"app\\n\"", "mariadb.user 'app\\n' must be a lower-case name"),
        ("database: \"shop\\n\"", "mariadb.database 'shop\\n' must be 1 to 64"),
        ("root_host: \"%\\n\"", "mariadb.root_host '%\\n' must be a host pattern"),
        ("bind_address: \"fe80::1%x#y\"", "mariadb.bind_address 'fe80::1%x#y' is not an IP address"),
        ("password: \"abcdefgh\\n\"", "mariadb.password holds a control character"),
        ("root_password: \"abc\\u007fdefgh\"", "mariadb.root_password holds a control character"),
        ("port: 70000", "mariadb.port 70000 is not a TCP port"),
        ("user: root", "mariadb.user 'root' must be a lower-case name"),
        ("database: mysql", "mariadb.database 'mysql' must be 1 to 64"),
        ("bind_address: example.org", "mariadb.bind_address 'example.org' is not an IP address"),
        ("root_host: \"a b\"", "mariadb.root_host 'a b' must be a host pattern"),
        ("root_password: \"short\"", "mariadb.root_password must be 8 to 512 characters"),
        ("colour: blue", "unknown mariadb setting(s) colour"),
        ("tls: yes please", "mariadb.tls must be true, false or a map"),
        ("allowed_networks: [10.0.0.1/8]", "mariadb.allowed_networks entry '10.0.0.1/8' is not a network"),
        ("server_id: 0", "mariadb.server_id 0 is not a server id"),
        ("replication_user: root", "mariadb.replication_user 'root' must be a lower-case name"),
        ("replication_password: Repl-pass-1", "mariadb.replication_password is given without mariadb.replication_user"),
        ("{user: app, replication_user: app}", "mariadb.replication_user 'app' is also mariadb.user"),
        ("replica_of: primary.example", "mariadb.replica_of must be a map {host, port, user, password}"),
        ("replica_of: {host: db, user: repl}", "mariadb.replica_of.password is missing"),
        ("replica_of: {user: repl, password: Repl-pass-1}", "mariadb.replica_of.host is missing"),
        ("replica_of: {host: db, user: repl, password: Repl-pass-1, ssl: true}", "unknown mariadb.replica_of field(s) ssl"),
        ("replica_of: {host: db, user: repl, password: Repl-pass-1, port: 0}", "mariadb.replica_of.port 0 is not a TCP port"),
        ("replica_of: {host: \"db'x\", user: repl, password: Repl-pass-1}", "mariadb.replica_of.host \"db'x\" is not a host"),
        ("replica_of: {host: db, user: \"a b\", password: Repl-pass-1}", "mariadb.replica_of.user 'a b' must be a lower-case"),
        ("replica_of: {host: db, user: repl, password: short}", "mariadb.replica_of.password must be 8 to 512"),
    ])
    func rejectsBadValuesBeforeTouchingTheServer(setting: String, message: String) throws {
        try expectHookRejects("mariadb", setting: setting, message: message)
    }
}
