import Foundation
import HostProcesses
import Testing
import TestSupport

/// The first-boot hooks of the vendor-only databases (`50-mysql`, `50-mongodb`) refuse bad settings before
/// they touch anything. Their server work is not run here: MySQL and MongoDB are not in Debian.
@Suite struct VendorHookTests {
    @Test(arguments: [
        ("mysql", "port: 0", "mysql.port 0 is not a TCP port"),
        ("mysql", "user: mysql.sys", "mysql.user 'mysql.sys' must be a lower-case name"),
        ("mysql", "database: information_schema", "mysql.database 'information_schema' must be 1 to 64"),
        ("mysql", "root_password: abcdefgh1", "unknown mysql setting(s) root_password"),
        ("mysql", "replica_of: {host: db, port: 3306, user: repl}", "mysql.replica_of.password is missing"),
        ("mysql", "replication_password: Repl-pass-1", "mysql.replication_password is given without mysql.replication_user"),
        ("mongodb", "bind_ip: \"10.0.0.1, example.org\"", "mongodb.bind_ip entry 'example.org' is not an IP address"),
        ("mongodb", "admin_user: \"a b\"", "mongodb.admin_user 'a b' must be 1 to 64"),
        ("mongodb", "admin_password: short", "mongodb.admin_password must be 8 to 512 characters"),
        ("mongodb", "port: 99999", "mongodb.port 99999 is not a TCP port"),
        ("mongodb", "tls: {cert: abc, key: def}", "mongodb.tls.cert is not PEM text"),
        ("mongodb", "allowed_networks: [10.0.0.1/8]", "mongodb.allowed_networks entry '10.0.0.1/8' is not a network"),
        ("mysql", "user: \"app\\n\"", "mysql.user 'app\\n' must be a lower-case name"),
        ("mysql", "password: \"abcdefgh\\r\"", "mysql.password holds a control character"),
        ("mysql", "bind_address: \"fe80::1%x#y\"", "mysql.bind_address 'fe80::1%x#y' is not an IP address"),
        ("mongodb", "admin_user: \"admin\\n\"", "mongodb.admin_user 'admin\\n' must be 1 to 64"),
        ("mongodb", "admin_password: \"abcdefgh\\n\"", "mongodb.admin_password holds a control character"),
        ("mongodb", "bind_ip: \"fe80::1%x'y\"", "mongodb.bind_ip entry \"fe80::1%x'y\" is not an IP address"),
    ])
    func rejectsBadValuesBeforeTouchingTheServer(database: String, setting: String, message: String) throws {
        try expectHookRejects(database, setting: setting, message: message)
    }

    @Test func mongodbTakesAPastedPasswordUpToTheServerWork() throws {
        let root = try FakeRoot(database: "mongodb")
        defer { root.remove() }
        try root.setInstance("iid-mongo")
        try root.setUserData("#cloud-config\ndibkit:\n  mongodb: {admin_password: \(yamlQuoted(pastedPassword))}\n")

        let run = try root.runFirstboot()
        #expect(run.status == 1)
        #expect(run.output.contains("mongodb: error: /var/lib/mongodb is missing"), "\(run.output)")
        #expect(!run.output.contains("p@ss"))
    }

    /// The mysql hook's SQL run by MariaDB's server, installed as `mysqld` with `mysql` and `mysqladmin` clients:
    /// what the statements do with a password that tries to inject a GRANT is the same in both dialects.
    @Test(.enabled(if: canRunMariaDB && ["mysqld", "mysql", "mysqladmin"].allSatisfy(commandExists),
                   "needs root and mariadb-server's mysqld, mysql and mysqladmin names"))
    func mysqlTakesAPasswordThatTriesToInjectAGrantAsAPassword() throws {
        let root = try FakeRoot(database: "mysql")
        defer { root.remove() }
        let server = try FakeMariaDB(in: root)
        let port = try freeLoopbackPort()
        let injection = "x'; GRANT ALL PRIVILEGES ON *.* TO 'app'@'%' WITH GRANT OPTION; -- \\' \" $HOME `id` ½"
        try root.setInstance("iid-mysql-on-mariadb")
        try root.setUserData("""
            #cloud-config
            dibkit:
              mysql: {port: \(port), bind_address: 127.0.0.1, user: app, database: shop, password: \(yamlQuoted(injection))}

            """)

        let run = try root.runFirstboot()
        #expect(run.status == 0, "\(run.output)")
        #expect(!run.output.contains("GRANT ALL"), "\(run.output)")

        // MariaDB's server has GTIDs always and knows no gtid_mode nor enforce_gtid_consistency: it reads the
        // option file without them.
        let options = try root.read("/etc/mysql/mysql.conf.d/99-dibkit.cnf")
        #expect(options.contains("gtid_mode = ON\nenforce_gtid_consistency = ON\n"), "\(options)")
        try root.write("/etc/mysql/standing-in.cnf", options.split(separator: "\n", omittingEmptySubsequences: false)
            .filter { !$0.hasPrefix("gtid_mode") && !$0.hasPrefix("enforce_gtid_consistency") }.joined(separator: "\n"))
        try server.start(optionFile: "/etc/mysql/standing-in.cnf")
        defer { server.stop() }
        let tcp = ["--protocol=TCP", "-h", "127.0.0.1", "-P", "\(port)", "-u", "app", "--batch", "--skip-column-names"]
        let grants = try server.client(password: injection, tcp + ["-e", "SHOW GRANTS", "shop"])
        #expect(grants.status == 0, "\(grants.output)")
        #expect(grants.output.contains("GRANT ALL PRIVILEGES ON `shop`.* TO `app`@`%`"), "\(grants.output)")
        let global = grants.output.split(separator: "\n").filter { $0.contains(" ON *.* ") }
        #expect(global.allSatisfy { $0.hasPrefix("GRANT USAGE ON *.*") }, "\(grants.output)")
        #expect(!grants.output.contains("WITH GRANT OPTION"), "\(grants.output)")
    }
}
