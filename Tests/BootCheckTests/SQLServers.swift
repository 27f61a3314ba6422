import Foundation
import TestSupport
import Testing
import HostProcesses

@testable import BootCheck

/// The host's newest PostgreSQL server binaries (`/usr/lib/postgresql/N/bin`), if any.
let postgreSQLBin = HostDatabases.postgreSQLBin
/// PostgreSQL's server and clients, and (as root) its system user to run the server as.
let hasPostgreSQL = postgreSQLBin != nil && FileManager.default.isExecutableFile(atPath: "/usr/bin/psql")
    && FileManager.default.isExecutableFile(atPath: "/usr/bin/pg_isready") && (getuid() != 0 || getpwnam("postgres") != nil)
/// MariaDB's server, clients and system user; the fixture runs as root (the server's root login is by unix_socket).
let hasMariaDB = getuid() == 0 && getpwnam("mysql") != nil
    && ["/usr/sbin/mariadbd", "/usr/bin/mariadb", "/usr/bin/mariadb-admin", "/usr/bin/mariadb-install-db"]
        .allSatisfy { FileManager.default.isExecutableFile(atPath: $0) }

/// Waits (bounded) until `probe` says a server answers on `port`; stops `process` and throws otherwise.
private func waitUntilAnswering(_ probe: any DatabaseProbe, port: Int, process: ChildProcess, log: URL) async throws {
    for _ in 0..<300 {
        if await probe.answers(loopbackPort: port) { return }
        if process.exitStatus != nil { break }
        try await Task.sleep(for: .milliseconds(100))
    }
    await process.stop()
    let output = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
    throw SocketError(operation: process.name, message: "did not answer on port \(port): \(output.suffix(800))")
}

/// A real PostgreSQL server in a temporary folder on a random loopback port (as the postgres user when the
/// tests run as root), whose superuser `dibkit_test` has `password`; TCP logins use `authentication`
/// (scram-sha-256, or trust to let anyone in). Stopped by `stop()`.
final class PostgreSQLServer {
    let port: Int
    let password: String
    private let process: ChildProcess

    /// The settings that log in to it (database `postgres`).
    var settings: DatabaseSettings {
        DatabaseSettings(kind: .postgresql, port: 5432, password: password, user: "dibkit_test", database: "postgres")
    }

    init(in directory: URL, authentication: String = "scram-sha-256",
         password: String = "pg-\(UUID().uuidString.prefix(8))") async throws {
        self.password = password
        let bin = try #require(postgreSQLBin)
        let asPostgres = getuid() == 0 ? ["--reuid=postgres", "--regid=postgres", "--init-groups"] : []
        let data = directory.appendingPathComponent("data")
        let passwordFile = directory.appendingPathComponent("password")
        try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
        try Data(password.utf8).write(to: passwordFile)
        if let account = getpwnam("postgres"), getuid() == 0 {
            chown(data.path, account.pointee.pw_uid, account.pointee.pw_gid)
            chown(passwordFile.path, account.pointee.pw_uid, account.pointee.pw_gid)
        }
        try await ChildProcess.run(
            "setpriv", asPostgres + ["\(bin)/initdb", "-D", data.path, "-U", "dibkit_test", "--pwfile", passwordFile.path,
                                     "--auth-local=peer", "--auth-host=\(authentication)", "--no-sync"],
            log: directory.appendingPathComponent("initdb.log"))
        try FileManager.default.removeItem(at: passwordFile)
        port = try freeLoopbackPort()
        let log = directory.appendingPathComponent("server.log")
        process = try ChildProcess(
            "setpriv", asPostgres + ["\(bin)/postgres", "-D", data.path, "-p", "\(port)", "-k", data.path,
                                     "-c", "listen_addresses=127.0.0.1"], output: log)
        try await waitUntilAnswering(PostgreSQLProbe(), port: port, process: process, log: log)
    }

    func stop() async {
        await process.stop()
    }
}

/// A real MariaDB server in a temporary folder on a random loopback port, with user `dibkit_test` (password
/// `password`, or none when nil) owning database `dibkit_test`. Stopped by `stop()`.
final class MariaDBServer {
    let port: Int
    let password: String?
    private let process: ChildProcess

    /// The settings that log in to it (with the password, or an empty one when the account has none).
    var settings: DatabaseSettings {
        DatabaseSettings(kind: .mariadb, port: 3306, password: password ?? "", user: "dibkit_test",
                         database: "dibkit_test")
    }

    init(in directory: URL, password: String? = "md-\(UUID().uuidString.prefix(8))") async throws {
        self.password = password
        let data = directory.appendingPathComponent("data")
        // Its own folder for temporary tables: servers starting at once clear each other's in a shared /tmp.
        let temporary = directory.appendingPathComponent("tmp")
        try FileManager.default.createDirectory(at: temporary, withIntermediateDirectories: true)
        if let account = getpwnam("mysql") { chown(temporary.path, account.pointee.pw_uid, account.pointee.pw_gid) }
        try await ChildProcess.run(
            "mariadb-install-db", ["--no-defaults", "--datadir=\(data.path)", "--user=mysql", "--skip-test-db",
                                   "--tmpdir=\(temporary.path)"],
            log: directory.appendingPathComponent("install.log"))
        port = try freeLoopbackPort()
        let socket = data.appendingPathComponent("mysqld.sock").path
        let log = directory.appendingPathComponent("server.log")
        process = try ChildProcess(
            "mariadbd", ["--no-defaults", "--datadir=\(data.path)", "--user=mysql", "--port=\(port)",
                         "--bind-address=127.0.0.1", "--socket=\(socket)", "--tmpdir=\(temporary.path)",
                         "--pid-file=\(data.appendingPathComponent("mysqld.pid").path)"], output: log)
        try await waitUntilAnswering(MariaDBProbe(), port: port, process: process, log: log)
        let literal = (password ?? "").replacingOccurrences(of: "\\", with: "\\\\")
            .replacingOccurrences(of: "'", with: "\\'")
        let sql = "CREATE USER 'dibkit_test'@'%' IDENTIFIED BY '\(literal)'; CREATE DATABASE dibkit_test; "
            + "GRANT ALL PRIVILEGES ON dibkit_test.* TO 'dibkit_test'@'%';"
        try await ChildProcess.run("mariadb", ["--no-defaults", "--socket=\(socket)", "--user=root", "-e", sql],
                                   log: directory.appendingPathComponent("setup.log"))
    }

    func stop() async {
        await process.stop()
    }
}
