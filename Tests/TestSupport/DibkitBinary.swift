public import Foundation

/// The built `dibkit` binary, which the command-line tests run.
public enum DibkitBinary {
    /// The repository's root.
    public static var repository: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    /// The binary beside the test bundle, else `.build/debug/dibkit`.
    public static var url: URL {
        let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("dibkit")
        return FileManager.default.isExecutableFile(atPath: beside.path) ? beside : repository.appendingPathComponent(".build/debug/dibkit")
    }

    /// Starts `dibkit arguments` in `workingDirectory`; standard error goes to `stderr`, standard output nowhere.
    public static func start(_ arguments: [String], environment: [String: String] = [:], workingDirectory: URL, stderr: URL) throws -> Process {
        let process = Process()
        process.executableURL = url
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        process.currentDirectoryURL = workingDirectory
        _ = FileManager.default.createFile(atPath: stderr.path, contents: nil)
        process.standardError = try FileHandle(forWritingTo: stderr)
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        return process
    }

    /// Runs `dibkit arguments` to the end, with `environment` over this process's (in `workingDirectory` when
    /// given), and returns status, stdout and stderr.
    public static func run(
        _ arguments: [String], environment: [String: String] = [:], workingDirectory: URL? = nil
    ) throws -> (status: Int32, stdout: String, stderr: String) {
        let process = Process()
        process.executableURL = url
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        if let workingDirectory { process.currentDirectoryURL = workingDirectory }
        let errors = FileManager.default.temporaryDirectory.appendingPathComponent("dibkit-stderr-\(UUID().uuidString.prefix(8))")
        _ = FileManager.default.createFile(atPath: errors.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: errors) }
        let out = Pipe()
        process.standardOutput = out
        process.standardError = try FileHandle(forWritingTo: errors)
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let stderr = (try? Data(contentsOf: errors)) ?? Data()
        return (process.terminationStatus, String(decoding: stdout, as: UTF8.self), String(decoding: stderr, as: UTF8.self))
    }
}
