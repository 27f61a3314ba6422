import Foundation

/// The database's own command-line client (redis-cli, psql, mariadb) run from the host against one instance of
/// a topology through its forwarded port, over TLS when the instance speaks TLS (verified against its CA when
/// the user-data gives one). Passwords go through the environment, never on the command line.
struct TopologyClient: Sendable {
    let kind: DatabaseKind
    let settings: DatabaseSettings
    let hostPort: Int
    /// How the client connects: plaintext, or TLS verified against a CA file, or TLS unverified (a self-signed
    /// certificate).
    enum Transport: Sendable {
        case plaintext
        case verified(caFile: URL)
        case unverified
    }

    let transport: Transport

    private var program: ClientProgram {
        switch kind {
        case .redis, .valkey: ClientProgram(executable: "redis-cli", droppedPrefixes: ["REDISCLI_"])
        case .postgresql: ClientProgram(executable: "psql", droppedPrefixes: ["PG"])
        case .mariadb, .mysql: ClientProgram(executable: "mariadb", droppedPrefixes: ["MYSQL", "MARIADB"])
        }
    }

    /// The table SQL checks write to and read from (in the user's database).
    static let table = "dibkit_topology"

    /// Runs `command` (Redis: its words; SQL: one statement), `plaintext` forcing a connection without TLS.
    func run(_ command: [String], plaintext: Bool = false, port: Int? = nil) async throws -> ClientOutcome {
        let port = port ?? hostPort
        let transport = plaintext ? .plaintext : self.transport
        switch kind {
        case .redis, .valkey:
            var arguments = ["-h", "127.0.0.1", "-p", "\(port)", "--no-auth-warning"]
            switch transport {
            case .plaintext: break
            case .verified(let caFile): arguments += ["--tls", "--cacert", caFile.path]
            case .unverified: arguments += ["--tls", "--insecure"]
            }
            return try await program.run(arguments + command, environment: ["REDISCLI_AUTH": settings.password])
        case .postgresql:
            let mode = switch transport {
            case .plaintext: "disable"
            case .verified(let caFile): "verify-ca sslrootcert=\(caFile.path)"
            case .unverified: "require"
            }
            let connection = "host=127.0.0.1 port=\(port) user=\(settings.user ?? "") dbname=\(settings.database ?? "") "
                + "connect_timeout=10 sslmode=\(mode)"
            return try await program.run(["-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", connection, "-c"] + command,
                                         environment: ["PGPASSWORD": settings.password])
        case .mariadb, .mysql:
            var arguments = ["--no-defaults", "--protocol=TCP", "-h", "127.0.0.1", "-P", "\(port)",
                             "-u", settings.user ?? "", "--connect-timeout=10", "-N", "-B"]
            switch transport {
            case .plaintext: arguments.append("--skip-ssl")
            case .verified(let caFile): arguments.append("--ssl-ca=\(caFile.path)")
            case .unverified: arguments.append("--ssl")
            }
            return try await program.run(arguments + ["-e"] + command + [settings.database ?? ""],
                                         environment: ["MYSQL_PWD": settings.password])
        }
    }

    /// A query that succeeds once the server takes the password: Redis `PING`, SQL `SELECT 1`.
    var pingCommand: [String] { kind.speaksRESP ? ["PING"] : ["SELECT 1"] }

    /// Whether the server answered the authenticated ping, and is done loading its data.
    func answers() async -> Bool {
        guard let outcome = try? await run(pingCommand) else { return false }
        return answered(outcome) && !outcome.output.contains("LOADING")
    }

    /// Whether a ping's outcome is the database's answer (`PONG`, or the `1` of `SELECT 1`).
    func answered(_ outcome: ClientOutcome) -> Bool {
        outcome.status == 0 && outcome.output.contains(kind.speaksRESP ? "PONG" : "1")
    }

    /// Writes `value` under `key`.
    func write(_ key: String, _ value: String) async throws -> ClientOutcome {
        switch kind {
        case .redis, .valkey: try await run(["SET", key, value])
        case .postgresql:
            try await run(["CREATE TABLE IF NOT EXISTS \(Self.table) (k text PRIMARY KEY, v text); "
                + "INSERT INTO \(Self.table) VALUES ('\(key)', '\(value)')"])
        case .mariadb, .mysql:
            try await run(["CREATE TABLE IF NOT EXISTS \(Self.table) (k VARCHAR(64) PRIMARY KEY, v TEXT); "
                + "INSERT INTO \(Self.table) VALUES ('\(key)', '\(value)')"])
        }
    }

    /// Whether the write outcome shows success.
    func wrote(_ outcome: ClientOutcome) -> Bool {
        kind.speaksRESP ? outcome.output.trimmingCharacters(in: .whitespacesAndNewlines) == "OK" : outcome.status == 0
    }

    /// The value under `key`, nil when absent or unreadable.
    func read(_ key: String) async -> String? {
        let command = kind.speaksRESP ? ["GET", key] : ["SELECT v FROM \(Self.table) WHERE k = '\(key)'"]
        guard let outcome = try? await run(command), outcome.status == 0 else { return nil }
        let value = outcome.output.trimmingCharacters(in: .whitespacesAndNewlines)
        return value.isEmpty ? nil : value
    }
}
