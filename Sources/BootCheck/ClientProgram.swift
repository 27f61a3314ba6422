import Foundation
import HostProcesses

/// How a database client run from the host ended: its exit status (nil when it did not finish in time and
/// was stopped) and what it printed on stdout and stderr together.
struct ClientOutcome: Sendable {
    var status: Int32?
    var output: String

    /// The status and the output in one line, for failure messages.
    var summary: String {
        let ending = status.map { "exited with status \($0)" } ?? "did not finish in time"
        let text = output.trimmingCharacters(in: .whitespacesAndNewlines)
        return "\(ending): \(text.isEmpty ? "(no output)" : text)"
    }
}

/// One probe check driven through a client: its name, the client's arguments and extra environment, and a
/// judge that returns what is wrong with the outcome, or nil when it is right.
struct ClientCheck: Sendable {
    var name: String
    var arguments: [String]
    var environment: [String: String] = [:]
    var judge: @Sendable (ClientOutcome) -> String?
}

/// Runs databases' command-line clients (psql, mariadb, …) from the host for the probes.
struct ClientProgram: Sendable {
    /// The executable, looked up in PATH.
    var executable: String
    /// Variables removed from dibkit's environment before the client runs (e.g. `PG`, `MYSQL`), so the
    /// user's own settings cannot change what a check means.
    var droppedPrefixes: [String]
    /// Bound on one run; the client is stopped after it.
    var timeout: Duration = .seconds(30)

    /// Runs the client with `arguments` and `environment` added to the cleaned one; waits for it to end.
    func run(_ arguments: [String], environment: [String: String] = [:]) async throws -> ClientOutcome {
        let scratch = try ScratchDirectory()
        let log = scratch.url.appendingPathComponent("output")
        var variables = ProcessInfo.processInfo.environment.filter { key, _ in
            !droppedPrefixes.contains { key.hasPrefix($0) }
        }
        variables.merge(environment) { $1 }
        let child = try ChildProcess(executable, arguments, output: log, environment: variables)
        let status = await child.wait(timeout: timeout)
        if status == nil { await child.stop() }
        return ClientOutcome(status: status, output: (try? String(contentsOf: log, encoding: .utf8)) ?? "")
    }

    /// Runs each check in order; returns their names.
    /// - Throws: `ProbeFailure` for the first check whose judge objects or whose client cannot be started.
    func runChecks(_ checks: [ClientCheck]) async throws(ProbeFailure) -> [String] {
        var passed: [String] = []
        for check in checks {
            let outcome: ClientOutcome
            do {
                outcome = try await run(check.arguments, environment: check.environment)
            } catch {
                throw ProbeFailure(check: check.name, reason: "\(error)")
            }
            if let problem = check.judge(outcome) { throw ProbeFailure(check: check.name, reason: problem) }
            passed.append(check.name)
        }
        return passed
    }
}

/// A private (0700) temporary directory, removed when released.
final class ScratchDirectory {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("dibkit-probe-\(UUID().uuidString)")
        try FileManager.default.createDirectory(
            at: url, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
    }

    deinit { try? FileManager.default.removeItem(at: url) }
}

/// A client's password files for a probe's checks, readable by their owner only, in a scratch directory removed
/// with them: one giving the password, one a wrong one (`wrong-` before it). Passwords never go on a command line.
final class PasswordFiles {
    let right: URL
    let wrong: URL
    private let scratch: ScratchDirectory

    /// Writes `contents(password)` and `contents("wrong-" + password)`.
    init(password: String, contents: (String) -> String) throws {
        scratch = try ScratchDirectory()
        right = try Self.write(contents(password), to: scratch.url.appendingPathComponent("right"))
        wrong = try Self.write(contents("wrong-\(password)"), to: scratch.url.appendingPathComponent("wrong"))
    }

    private static func write(_ text: String, to file: URL) throws -> URL {
        guard FileManager.default.createFile(atPath: file.path, contents: Data(text.utf8),
                                             attributes: [.posixPermissions: 0o600])
        else { throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: file.path]) }
        return file
    }
}
