import BootCheck
import Foundation
import HostProcesses
import ImageBuild
import TestSupport
import Testing

extension EndToEnd {
    /// Several instances of one shared image on a private link, each with its own user-data, checked from the
    /// host as `dibkit test --topology` does.
    @Suite("Topologies: replicas, standbys and Sentinel, over TLS")
    struct TopologyTests {
        /// Writes `userData` (name → #cloud-config) and the topology listing them at 10.77.0.11, .12, … into a
        /// new folder; the topology file's URL.
        static func writeTopology(_ userData: [(String, String)], in folder: URL) throws -> URL {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
            var lines = ["network: 10.77.0.0/24", "instances:"]
            for (index, (name, text)) in userData.enumerated() {
                try Data(text.utf8).write(to: folder.appendingPathComponent("\(name).yaml"))
                lines += ["  - name: \(name)", "    address: 10.77.0.\(11 + index)", "    user_data: \(name).yaml"]
            }
            let file = folder.appendingPathComponent("topology.yaml")
            try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: file)
            return file
        }

        /// `tls: {cert, key, ca}` lines for instance number `index` (address 10.77.0.11 + index), indented under
        /// the database's section.
        static func tls(_ authority: TestCertificates, _ name: String, index: Int) throws -> String {
            let issued = try authority.issue(name, addresses: ["10.77.0.\(11 + index)", "127.0.0.1"])
            return "    tls:\n      cert: \(yamlBlock(issued.cert, indent: 8))\n"
                + "      key: \(yamlBlock(issued.key, indent: 8))\n"
                + "      ca: \(yamlBlock(authority.ca, indent: 8))\n"
        }

        @Test("Redis primary + replica + witness replica, each with Sentinel, over TLS from one CA: the replica reads the primary's writes and refuses its own; the witness keeps the host out (allowed_networks); stopping the primary's VM makes Sentinel promote the replica, which takes writes, and the witness follows it")
        func redisSentinelOverTLS() async throws {
            let built = try await SharedBuilds.shared.image("redis")
            let authority = try TestCertificates()
            defer { authority.remove() }
            let folder = authority.folder.appendingPathComponent("topology")
            let password = DatabaseSettings.random(kind: .redis).password
            let sentinel = "    sentinel: {monitor: \"10.77.0.11:6379\", quorum: 2, down_after_ms: 5000}\n"
            func userData(_ name: String, index: Int, extra: String) throws -> (String, String) {
                (name, "#cloud-config\ndibkit:\n  redis:\n    password: \(DatabaseSettings.yamlDoubleQuoted(password))\n"
                    + sentinel + extra + (try Self.tls(authority, name, index: index)))
            }
            let hostAndLink = "    allowed_networks: [10.77.0.0/24, 10.0.2.2/32]\n"
            let file = try Self.writeTopology([
                try userData("primary", index: 0, extra: hostAndLink),
                try userData("replica", index: 1, extra: hostAndLink + "    replica_of: \"10.77.0.11:6379\"\n"),
                try userData("witness", index: 2, extra: "    allowed_networks: [10.77.0.0/24]\n"
                    + "    replica_of: \"10.77.0.11:6379\"\n    replica_priority: 0\n"),
            ], in: folder)

            let report = try await testTopology(
                image: built.configuration.output, file: file, database: nil, bootTimeout: nil,
                keepConsoles: nil) { _ in }
            for check in [
                "every instance configured once, no unit failed to start",
                "primary: TLS handshake with the instance's certificate, verified against its CA",
                "primary: plaintext connections are refused",
                "witness: the database port does not answer a client outside allowed_networks",
                "primary: takes a write", "replica: reads what primary wrote (replication)",
                "replica: refuses writes (read-only)", "replica: Sentinel monitors primary (10.77.0.11)",
                "replica: the new primary takes writes", "witness: follows replica (Sentinel's view)",
            ] {
                #expect(report.checks.contains(check), "\(check) missing from \(report.checks)")
            }
            #expect(report.checks.contains { $0.hasPrefix("Sentinel promoted replica ") })
            #expect(report.failoverSeconds.map { $0 > 5 } == true, "Sentinel waits down_after_ms before acting")
            print("redis topology: ready \(report.readySeconds) s, failover \(report.failoverSeconds ?? -1) s, total \(report.totalSeconds) s")
        }

        @Test("PostgreSQL primary + standby over TLS from one CA (hostssl only): the standby, cloned by pg_basebackup at first boot, reads the primary's writes and refuses its own; plaintext is refused")
        func postgreSQLStandbyOverTLS() async throws {
            // The standby's roles, passwords included, are the primary's: it takes no password of its own.
            try await checkSQLPair("postgresql", primary: "    replication_user: repl\n    replication_password: \"repl pass 123\"\n",
                                   replica: "    standby_of: {host: 10.77.0.11, port: 5432, user: repl, password: \"repl pass 123\"}\n",
                                   passwordOnReplica: false)
        }

        @Test("MariaDB primary + replica over TLS from one CA (require_secure_transport): the replica follows the primary by GTID, reads its writes and refuses its own; plaintext is refused")
        func mariaDBReplicaOverTLS() async throws {
            try await checkSQLPair("mariadb", primary: "    replication_user: repl\n    replication_password: \"repl pass 123\"\n",
                                   replica: "    replica_of: {host: 10.77.0.11, port: 3306, user: repl, password: \"repl pass 123\"}\n")
        }

        @Test("MySQL (sid: 9.7) primary + replica over TLS from one CA (require_secure_transport): the replica follows the primary by GTID auto-position, reads its writes and refuses its own; plaintext is refused")
        func mySQLReplicaOverTLS() async throws {
            try await checkSQLPair("mysql", primary: "    replication_user: repl\n    replication_password: \"repl pass 123\"\n",
                                   replica: "    replica_of: {host: 10.77.0.11, port: 3306, user: repl, password: \"repl pass 123\"}\n",
                                   release: "sid")
        }

        /// Boots a primary and a replica of the shared `database` image, both with TLS from one CA and the
        /// host and the link as their client networks, `primary` and `replica` added to their sections.
        private func checkSQLPair(
            _ database: String, primary: String, replica: String, passwordOnReplica: Bool = true, release: String = "trixie"
        ) async throws {
            // sid's Release on the mirror these machines reach is past its Valid-Until (see buildAndBootMySQL).
            let built = try await SharedBuilds.shared.image(database, release: release, acceptExpiredRelease: release == "sid")
            let authority = try TestCertificates()
            defer { authority.remove() }
            let password = DatabaseSettings.random(kind: .postgresql).password
            func userData(_ name: String, index: Int, extra: String, withPassword: Bool = true) throws -> (String, String) {
                let secret = withPassword ? "    password: \(DatabaseSettings.yamlDoubleQuoted(password))\n" : ""
                return (name, "#cloud-config\ndibkit:\n  \(database):\n" + secret
                    + "    allowed_networks: [10.77.0.0/24, 10.0.2.2/32]\n" + extra + (try Self.tls(authority, name, index: index)))
            }
            let file = try Self.writeTopology([try userData("primary", index: 0, extra: primary),
                                               try userData("replica", index: 1, extra: replica, withPassword: passwordOnReplica)],
                                              in: authority.folder.appendingPathComponent("topology"))
            let report = try await testTopology(
                image: built.configuration.output, file: file, database: nil, bootTimeout: nil, keepConsoles: nil) { _ in }
            for check in [
                "every instance configured once, no unit failed to start",
                "primary: TLS handshake with the instance's certificate, verified against its CA",
                "primary: plaintext connections are refused", "replica: plaintext connections are refused",
                "primary: takes a write", "replica: reads what primary wrote (replication)", "replica: refuses writes (read-only)",
            ] {
                #expect(report.checks.contains(check), "\(check) missing from \(report.checks)")
            }
            print("\(database) topology: ready \(report.readySeconds) s, total \(report.totalSeconds) s")
        }
    }
}
