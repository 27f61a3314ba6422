import Foundation

/// The outcome of a finished command: exit status and its stdout and stderr merged.
struct CommandResult {
    var status: Int32
    var output: String
}

/// Runs `arguments` (the first one looked up on PATH) with optional stdin and extra environment, and waits.
func runCommand(
    _ arguments: [String], stdin: String? = nil, environment: [String: String] = [:]
) throws -> CommandResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = arguments
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
    let output = Pipe()
    process.standardOutput = output
    process.standardError = output
    let input = Pipe()
    process.standardInput = input
    try process.run()
    if let stdin {
        input.fileHandleForWriting.write(Data(stdin.utf8))
    }
    try input.fileHandleForWriting.close()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return CommandResult(status: process.terminationStatus, output: String(decoding: data, as: UTF8.self))
}

/// Whether `name` is an executable found in PATH (or /usr/sbin, /sbin).
func commandExists(_ name: String) -> Bool {
    let path = (ProcessInfo.processInfo.environment["PATH"] ?? "") + ":/usr/sbin:/sbin"
    return path.split(separator: ":").contains { directory in
        FileManager.default.isExecutableFile(atPath: "\(directory)/\(name)")
    }
}
