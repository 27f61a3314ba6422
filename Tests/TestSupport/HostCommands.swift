public import Foundation

/// The outcome of a finished command.
public struct CommandResult: Sendable {
    public var status: Int32
    /// Standard output, with standard error merged in unless asked apart.
    public var output: String
}

/// A command that exited non-zero where the test needed it to succeed.
public struct CommandError: Error, CustomStringConvertible {
    public let description: String
}

/// Runs `arguments` (the first one looked up in PATH) with optional standard input and extra environment, in
/// `directory` when given, and waits. Standard error is merged into the output unless `mergingErrors` is false
/// (then it is inherited).
public func runCommand(
    _ arguments: [String], stdin: String? = nil, environment: [String: String] = [:], in directory: URL? = nil,
    mergingErrors: Bool = true
) throws -> CommandResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = arguments
    if let directory { process.currentDirectoryURL = directory }
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
    let output = Pipe()
    process.standardOutput = output
    if mergingErrors { process.standardError = output }
    let input = Pipe()
    process.standardInput = input
    try process.run()
    if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
    try input.fileHandleForWriting.close()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return CommandResult(status: process.terminationStatus, output: String(decoding: data, as: UTF8.self))
}

/// Runs `script` with bash and returns its standard output (standard error is inherited).
/// - Throws: `CommandError` when `check` and the script exits non-zero.
@discardableResult
public func shell(_ script: String, check: Bool = true) throws -> String {
    let result = try runCommand(["bash", "-c", script], mergingErrors: false)
    if check, result.status != 0 {
        throw CommandError(description: "bash -c exited with status \(result.status): \(script)")
    }
    return result.output
}

/// Hex SHA-256 of `text`, by the host's sha256sum: a test's expectation need not come from the code it tests.
public func sha256(_ text: String) throws -> String {
    String(try runCommand(["sha256sum"], stdin: text, mergingErrors: false).output.prefix(64))
}

/// Whether `name` is an executable found in PATH (or /usr/sbin, /sbin).
public func commandExists(_ name: String) -> Bool {
    let path = (ProcessInfo.processInfo.environment["PATH"] ?? "") + ":/usr/sbin:/sbin"
    return path.split(separator: ":").contains { FileManager.default.isExecutableFile(atPath: "\($0)/\(name)") }
}

/// qemu for x86_64 guests is installed (tests that boot something need it; on these machines they must run).
public let hasQemu = commandExists("qemu-system-x86_64")

/// Process ids of running processes (not zombies) whose command line mentions `text`.
public func processes(mentioning text: String) -> [Int32] {
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    return entries.compactMap { entry -> Int32? in
        guard let pid = Int32(entry),
            let data = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline"),
            String(decoding: data, as: UTF8.self).contains(text),
            let status = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
            !status.contains(") Z ")
        else { return nil }
        return pid
    }
}

/// Polls `condition` every 100 ms for at most `limit`; returns whether it held.
public func waitUntil(_ limit: Duration, _ condition: () -> Bool) async throws -> Bool {
    let deadline = ContinuousClock.now + limit
    while !condition() {
        guard ContinuousClock.now < deadline else { return false }
        try await Task.sleep(for: .milliseconds(100))
    }
    return true
}

/// How long `process` takes to exit from now (at most 60 s, then it is killed and the test fails on the time).
public func exitTime(of process: Process) async throws -> Duration {
    let start = ContinuousClock.now
    _ = try await waitUntil(.seconds(60)) { !process.isRunning }
    if process.isRunning {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }
    return ContinuousClock.now - start
}
