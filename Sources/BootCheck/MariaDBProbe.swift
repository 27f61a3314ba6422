import Foundation

/// Probes MariaDB, or MySQL, from the host with the `mariadb` and `mariadb-admin` clients: the password is
/// given in a private option file, quoted as the client library reads it, never on the command line; the
/// user's `MYSQL*` variables are dropped.
public struct MariaDBProbe: DatabaseProbe {
    /// `mariadb` or `mysql`, naming the checks.
    public var product: String
    private let client = ClientProgram(executable: "mariadb", droppedPrefixes: ["MYSQL", "MARIADB"])
    private let admin = ClientProgram(executable: "mariadb-admin", droppedPrefixes: ["MYSQL", "MARIADB"],
                                      timeout: .seconds(10))

    /// A probe whose checks are named after `product`.
    public init(product: String = "mariadb") {
        self.product = product
    }

    /// True when `mariadb-admin ping` reaches the server (it reports a server that refuses the login as alive).
    public func answers(loopbackPort port: Int) async -> Bool {
        let arguments = ["--no-defaults", "--protocol=TCP", "-h", "127.0.0.1", "-P", "\(port)",
                         "--connect-timeout=3", "ping"]
        return (try? await admin.run(arguments))?.status == 0
    }

    public func checkAuthentication(
        loopbackPort port: Int, settings: DatabaseSettings
    ) async throws(ProbeFailure) -> [String] {
        let user = settings.user ?? settings.kind.defaultUser ?? "dibkit"
        let database = settings.database ?? settings.kind.defaultDatabase(user: user)
        let files: PasswordFiles
        do {
            files = try PasswordFiles(password: settings.password, contents: Self.options(password:))
        } catch {
            throw ProbeFailure(check: "\(product): writing the client's option files", reason: "\(error)")
        }
        let connection = ["--protocol=TCP", "-h", "127.0.0.1", "-P", "\(port)", "--connect-timeout=10", "-u", user,
                          "--batch", "--skip-column-names", "-e", "SELECT CONCAT(CURRENT_USER(), ' ', DATABASE())",
                          database]
        let refused = { (using: String) in
            { @Sendable (outcome: ClientOutcome) -> String? in
                outcome.status != 0 && outcome.output.contains("Access denied")
                    && outcome.output.contains("(using password: \(using))")
                    ? nil : "expected \"Access denied … (using password: \(using))\"; mariadb \(outcome.summary)"
            }
        }
        let passed = try await client.runChecks([
            ClientCheck(
                name: "\(product): the password logs \(user) in and a query runs in \(database)",
                arguments: ["--defaults-file=\(files.right.path)"] + connection,
                judge: { outcome in
                    let words = outcome.output.split(whereSeparator: \.isWhitespace)
                    return outcome.status == 0 && words.count == 2 && words[0].hasPrefix("\(user)@")
                        && words[1] == database
                        ? nil : "expected \(user)@… \(database); mariadb \(outcome.summary)"
                }),
            ClientCheck(
                name: "\(product): no password is refused", arguments: ["--no-defaults"] + connection,
                judge: refused("NO")),
            ClientCheck(
                name: "\(product): a wrong password is refused",
                arguments: ["--defaults-file=\(files.wrong.path)"] + connection, judge: refused("YES")),
        ])
        withExtendedLifetime(files) {}
        return passed
    }

    /// A `[client]` option file holding only `password`, double-quoted with `\\`, `\"` and `\'` escaped: the
    /// client library then reads back exactly the password, spaces, `#` and quotes included.
    static func options(password: String) -> String {
        let escaped = password.replacingOccurrences(of: "\\", with: "\\\\")
            .replacingOccurrences(of: "\"", with: "\\\"").replacingOccurrences(of: "'", with: "\\'")
        return "[client]\npassword=\"\(escaped)\"\n"
    }
}
