import Foundation

/// Probes PostgreSQL from the host with its own clients: `pg_isready` for readiness, `psql` for the checks
/// (the password given in a private password file, never on the command line nor in the environment; the
/// user's `PG*` variables dropped).
public struct PostgreSQLProbe: DatabaseProbe {
    private let psql = ClientProgram(executable: "psql", droppedPrefixes: ["PG"])
    private let isReady = ClientProgram(executable: "pg_isready", droppedPrefixes: ["PG"], timeout: .seconds(10))

    public init() {}

    /// True when `pg_isready` says the server accepts connections (it does not authenticate).
    public func answers(loopbackPort port: Int) async -> Bool {
        let outcome = try? await isReady.run(["-q", "-h", "127.0.0.1", "-p", "\(port)", "-t", "3"])
        return outcome?.status == 0
    }

    public func checkAuthentication(
        loopbackPort port: Int, settings: DatabaseSettings
    ) async throws(ProbeFailure) -> [String] {
        let user = settings.user ?? settings.kind.defaultUser ?? "dibkit"
        let database = settings.database ?? settings.kind.defaultDatabase(user: user)
        let expected = "\(user)@\(database)"
        let arguments = [
            "-X", "-w", "-A", "-t", "-h", "127.0.0.1", "-p", "\(port)", "-U", user, "-d", database,
            "-c", "SELECT current_user || '@' || current_database()",
        ]
        let files: PasswordFiles
        do {
            files = try PasswordFiles(password: settings.password, contents: Self.passwordFile(password:))
        } catch {
            throw ProbeFailure(check: "postgresql: writing psql's password files", reason: "\(error)")
        }
        let hermetic = ["PGPASSFILE": "/nonexistent/dibkit-no-passfile", "PGCONNECT_TIMEOUT": "10"]
        let passed = try await psql.runChecks([
            ClientCheck(
                name: "postgresql: psql with the password runs a query as \(expected)", arguments: arguments,
                environment: hermetic.merging(["PGPASSFILE": files.right.path]) { $1 },
                judge: { outcome in
                    outcome.status == 0 && outcome.output.trimmingCharacters(in: .whitespacesAndNewlines) == expected
                        ? nil : "expected \(expected); psql \(outcome.summary)"
                }),
            ClientCheck(
                name: "postgresql: psql without a password is refused", arguments: arguments, environment: hermetic,
                judge: { outcome in
                    outcome.status != 0 && outcome.output.contains("no password supplied")
                        ? nil : "expected the server to ask for a password; psql \(outcome.summary)"
                }),
            ClientCheck(
                name: "postgresql: a wrong password is refused", arguments: arguments,
                environment: hermetic.merging(["PGPASSFILE": files.wrong.path]) { $1 },
                judge: { outcome in
                    outcome.status != 0 && outcome.output.contains("password authentication failed")
                        ? nil : "expected \"password authentication failed\"; psql \(outcome.summary)"
                }),
        ])
        withExtendedLifetime(files) {}
        return passed
    }

    /// A libpq password file whose one line matches any host, port, database and user and gives `password`,
    /// with `\\` and `:` escaped as libpq reads them.
    static func passwordFile(password: String) -> String {
        let escaped = password.replacingOccurrences(of: "\\", with: "\\\\")
            .replacingOccurrences(of: ":", with: "\\:")
        return "*:*:*:*:\(escaped)\n"
    }
}
