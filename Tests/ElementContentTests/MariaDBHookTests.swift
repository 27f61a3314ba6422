import Foundation
import HostProcesses
import TestSupport
import Testing
import TestSupport

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
        #expect(try root.read("/etc/mysql/mariadb.conf.d/99-dibkit.cnf").hasSuffix(
            "[mysqld]\nbind-address = 127.0.0.1\nport = \(port)\n"))
        #expect(try root.read("/etc/nftables.d/mariadb.nft").contains("tcp dport \(port) accept"))

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
    ])
    func rejectsBadValuesBeforeTouchingTheServer(setting: String, message: String) throws {
        try expectHookRejects("mariadb", setting: setting, message: message)
    }
}
