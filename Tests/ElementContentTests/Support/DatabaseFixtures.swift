import Foundation
import HostProcesses
import TestSupport
import Testing

/// The host's PostgreSQL major version with a server binary, if any.
let hostPostgreSQLVersion = HostDatabases.postgreSQLVersion

/// Running the host's database servers on a fake root needs root (to act as their system users) and them.
let canRunPostgreSQL = getuid() == 0 && hostPostgreSQLVersion != nil && getpwnam("postgres") != nil
let canRunMariaDB = getuid() == 0 && commandExists("mariadbd") && commandExists("mariadb-install-db")
    && getpwnam("mysql") != nil

/// A cluster `main` in Debian's layout inside a fake root (configuration in /etc/postgresql/N/main, data in
/// /var/lib/postgresql/N/main), made by the host's initdb as the postgres user, with the configuration's
/// paths pointing into the fake root, as the package leaves it before first boot.
struct FakePostgreSQLCluster {
    let root: FakeRoot
    let version: String
    var bin: String { "/usr/lib/postgresql/\(version)/bin" }
    var configuration: String { root.path("/etc/postgresql/\(version)/main") }
    var runtime: String { root.path("/run/postgresql") }

    init(in root: FakeRoot) throws {
        self.root = root
        version = try #require(hostPostgreSQLVersion)
        let data = root.path("/var/lib/postgresql/\(version)/main")
        for folder in [data, runtime] {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            try #require(try runCommand(["chown", "postgres:postgres", folder]).status == 0)
        }
        let initdb = try runCommand(["setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups", "\(bin)/initdb", "-D", data, "-U", "postgres",
                                     "--auth=peer", "--no-sync"])
        try #require(initdb.status == 0, "initdb: \(initdb.output)")
        let etc = "/etc/postgresql/\(version)/main"
        try root.write("\(etc)/postgresql.conf", """
            data_directory = '\(data)'
            hba_file = '\(configuration)/pg_hba.conf'
            ident_file = '\(configuration)/pg_ident.conf'
            unix_socket_directories = '\(runtime)'
            include_dir = 'conf.d'

            """)
        try root.write("\(etc)/pg_ident.conf", "")
        try root.write("\(etc)/pg_hba.conf", "local all all peer\n")
        try FileManager.default.createDirectory(atPath: "\(configuration)/conf.d", withIntermediateDirectories: true)
    }

    /// Starts the cluster with the configuration first boot wrote (a child process, not a daemon); the TLS
    /// files it names (`ssl_*_file`) are taken from the fake root instead of the host's /etc, and HOME is
    /// postgres's (as under systemd: a standby's libpq looks there for a client certificate). Waits until it
    /// answers on `port`, the one first boot configured.
    func start(port: Int) throws -> Process {
        let written = try root.read("/etc/postgresql/\(version)/main/conf.d/50-dibkit.conf")
        let files = written.split(separator: "\n").compactMap { line -> [String]? in
            let parts = line.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, parts[0].hasPrefix("ssl_"), parts[0].hasSuffix("_file") else { return nil }
            return ["-c", "\(parts[0])=\(root.path(parts[1].trimmingCharacters(in: CharacterSet(charactersIn: "'"))))"]
        }
        let server = Process()
        server.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
        server.arguments = ["--reuid=postgres", "--regid=postgres", "--init-groups", "\(bin)/postgres",
                            "-D", configuration] + files.joined()
        let home = getpwnam("postgres").map { String(cString: $0.pointee.pw_dir) } ?? "/var/lib/postgresql"
        server.environment = ProcessInfo.processInfo.environment.merging(["HOME": home]) { _, new in new }
        let log = "\(runtime)/server.log"
        FileManager.default.createFile(atPath: log, contents: nil)
        server.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        server.standardError = server.standardOutput
        try server.run()
        for _ in 0..<1500 {  // a bound on a hung server, far above a normal start
            if try runCommand(["\(bin)/pg_isready", "-q", "-h", runtime, "-p", "\(port)"]).status == 0 { return server }
            try #require(server.isRunning, "postgres exited: \((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")
            usleep(200_000)
        }
        Issue.record("postgres did not answer on \(runtime)")
        return server
    }

    /// Stops a server `start()` returned (SIGTERM: a smart shutdown, with no client left).
    func stop(_ server: Process) {
        server.terminate()
        server.waitUntilExit()
    }

    /// `psql` over TCP to 127.0.0.1:`port`; `password` nil means none (and no prompt); `options` are more
    /// connection keywords (e.g. `sslmode=disable`).
    func psql(port: Int, user: String, password: String?, database: String, _ query: String,
              replication: Bool = false, options: String = "") throws -> CommandResult {
        var connection = "host=127.0.0.1 port=\(port) user=\(user) dbname=\(database) \(options)"
        if replication { connection += " replication=true" }
        var environment = ["PGPASSFILE": "/nonexistent/pgpass", "PGPASSWORD": ""]
        if let password { environment["PGPASSWORD"] = password }
        return try runCommand(["psql", "-X", "-w", "-A", "-t", connection, "-c", query], environment: environment)
    }
}

/// MariaDB's system tables inside a fake root's /var/lib/mysql, made by the host's mariadb-install-db as the
/// package makes them (root@localhost by unix_socket, no password), and the host's server run on them.
final class FakeMariaDB {
    let root: FakeRoot
    var data: String { root.path("/var/lib/mysql") }
    var socket: String { root.path("/run/mysqld/mysqld.sock") }
    private var server: Process?

    init(in root: FakeRoot) throws {
        self.root = root
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: root.path("/run/mysqld"), withIntermediateDirectories: true)
        try #require(try runCommand(["chown", "mysql:mysql", root.path("/run/mysqld")]).status == 0)
        // Temporary tables in /run/mysqld: servers starting at once clear each other's in a shared /tmp.
        let install = try runCommand(["mariadb-install-db", "--no-defaults", "--datadir=\(data)", "--user=mysql",
                                      "--skip-test-db", "--tmpdir=\(root.path("/run/mysqld"))"])
        try #require(install.status == 0, "mariadb-install-db: \(install.output)")
    }

    /// Starts the server with the option file first boot wrote (and `arguments` after it), and waits until it
    /// answers on its socket.
    func start(optionFile: String = "/etc/mysql/mariadb.conf.d/99-dibkit.cnf", arguments: [String] = []) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/sbin/mariadbd")
        process.arguments = ["--defaults-file=\(root.path(optionFile))",
                             "--datadir=\(data)", "--user=mysql", "--socket=\(socket)",
                             "--tmpdir=\(root.path("/run/mysqld"))",
                             "--pid-file=\(root.path("/run/mysqld/mysqld.pid"))",
                             "--log-error=\(root.path("/run/mysqld/error.log"))"] + arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        server = process
        let log = root.path("/run/mysqld/error.log")
        for _ in 0..<1500 {  // a bound on a hung server, far above a normal start
            if try runCommand(["mariadb-admin", "--no-defaults", "--socket=\(socket)", "--user=root", "ping"]).status == 0 {
                return
            }
            try #require(process.isRunning, "mariadbd exited: \((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")
            usleep(200_000)
        }
        Issue.record("mariadbd did not answer on \(socket)")
    }

    /// Arguments starting the server with the TLS files first boot wrote taken from the fake root (the option
    /// file names them as in the image, /etc/dibkit/tls).
    var tlsFromRoot: [String] {
        ["--ssl-cert=\(root.path("/etc/dibkit/tls/server.pem"))", "--ssl-key=\(root.path("/etc/dibkit/tls/server.key"))",
         "--ssl-ca=\(root.path("/etc/dibkit/tls/ca.pem"))"]
    }

    /// `mariadb` as root over the server's socket (unix_socket), rows tab-separated without column names.
    func asRoot(_ query: String) throws -> CommandResult {
        try client(password: nil, ["--socket=\(socket)", "-u", "root", "--batch", "--skip-column-names", "-e", query])
    }

    func stop() {
        guard let server, server.isRunning else { return }
        _ = try? runCommand(["mariadb-admin", "--no-defaults", "--socket=\(socket)", "--user=root", "shutdown"])
        server.waitUntilExit()
    }

    /// `mariadb --no-defaults` with `arguments`; `password` (exactly, whatever it holds) through `MYSQL_PWD`.
    func client(password: String?, _ arguments: [String]) throws -> CommandResult {
        try runCommand(["mariadb", "--no-defaults"] + arguments, environment: password.map { ["MYSQL_PWD": $0] } ?? [:])
    }
}

/// A password as users paste them from password managers: leading and trailing spaces, both quotes, a
/// backslash, `$`, `#`, a backtick and a character outside ASCII (that SASLprep changes: `½` is `1⁄2` in NFKC).
let pastedPassword = " p@ss 'single' \"double\" back\\slash $HOME #hash `tick` ½ "

/// `text` as a YAML single-quoted scalar (any printable text; `'` doubled).
func yamlQuoted(_ text: String) -> String {
    "'" + text.replacingOccurrences(of: "'", with: "''") + "'"
}

let canRunRedis = commandExists("redis-server") && commandExists("redis-cli")

/// The host's redis-server run on the `dibkit.conf` first boot wrote in a fake root (`config`, Redis's by
/// default; Valkey's reads the same; its port and bind), with
/// no persistence, its unix socket in a temporary folder; `cli` talks to it with `redis-cli`, the password through `REDISCLI_AUTH`.
final class FakeRedis {
    let port: Int
    private let server: Process
    private let folder: URL

    init(root: FakeRoot, config: String = "/etc/redis/dibkit.conf", port: Int) throws {
        self.port = port
        folder = root.url.appendingPathComponent("run/redis-check")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        server = Process()
        server.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        server.arguments = ["redis-server", root.path(config), "--dir", folder.path, "--save", "",
                            "--appendonly", "no", "--daemonize", "no", "--logfile", folder.appendingPathComponent("log").path,
                            // The image's socket is under /run/redis, the host's own server's folder.
                            "--unixsocket", folder.appendingPathComponent("redis.sock").path]
        server.standardOutput = FileHandle.nullDevice
        server.standardError = FileHandle.nullDevice
        try server.run()
        for _ in 0..<250 {  // a bound on a hung server, far above a normal start
            if try cli(password: nil, ["PING"]).output.contains("NOAUTH") { return }
            try #require(server.isRunning, "redis-server exited: \((try? String(contentsOf: folder.appendingPathComponent("log"), encoding: .utf8)) ?? "")")
            usleep(100_000)
        }
        Issue.record("redis-server did not answer on port \(port)")
    }

    /// `redis-cli` to 127.0.0.1:`port` running `command`; `password` nil means no AUTH.
    func cli(password: String?, _ command: [String]) throws -> CommandResult {
        try runCommand(["redis-cli", "-h", "127.0.0.1", "-p", "\(port)"] + command,
                       environment: password.map { ["REDISCLI_AUTH": $0] } ?? [:])
    }

    /// Kills the server (it keeps nothing; SIGTERM stays blocked in children of Foundation's `Process`).
    func stop() {
        kill(server.processIdentifier, SIGKILL)
        server.waitUntilExit()
    }
}
