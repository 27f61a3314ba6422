public import Foundation

/// A test server written in Python, run with the test venv's interpreter. It prints one JSON line when it
/// listens and serves until its standard input closes, so it also ends when the test process dies.
public final class PythonServer: @unchecked Sendable {
    /// The JSON object the server printed when ready.
    public let greeting: [String: Any]
    private let process: Process
    private let input: Pipe
    /// Its standard error, for a failing test to show.
    public let errorLog: URL

    /// Starts `script` (a file in `Tests/TestSupport/python`) with `arguments` and waits for its greeting.
    public init(script: String, arguments: [String]) throws {
        let python = try TestVenv.python()
        errorLog = FileManager.default.temporaryDirectory.appendingPathComponent("dibkit-\(script)-\(UUID().uuidString.prefix(8)).log")
        _ = FileManager.default.createFile(atPath: errorLog.path, contents: nil)
        process = Process()
        process.executableURL = python
        process.arguments = [TestVenv.scripts.appendingPathComponent(script).path] + arguments
        process.currentDirectoryURL = TestVenv.scripts
        input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = try FileHandle(forWritingTo: errorLog)
        try process.run()
        let line = Self.readLine(output.fileHandleForReading)
        guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
            input.fileHandleForWriting.closeFile()
            process.waitUntilExit()
            let log = (try? String(contentsOf: errorLog, encoding: .utf8)) ?? ""
            try? FileManager.default.removeItem(at: errorLog)
            throw TestServerError("\(script) did not start: \(line.isEmpty ? "no greeting" : line)\n\(log.suffix(3000))")
        }
        greeting = object
    }

    /// Stops the server, waits for it to exit and removes its error log.
    public func stop() {
        if process.isRunning {
            input.fileHandleForWriting.closeFile()
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: errorLog)
    }

    deinit { stop() }

    /// The port from the greeting.
    public var port: Int { greeting["port"] as? Int ?? 0 }

    private static func readLine(_ handle: FileHandle) -> String {
        var bytes: [UInt8] = []
        while true {
            let data = handle.readData(ofLength: 1)
            guard let byte = data.first, byte != UInt8(ascii: "\n") else { break }
            bytes.append(byte)
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// A test server that could not be started or answered wrongly.
public struct TestServerError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// The Python venv with moto, boto3, jsonschema, PyYAML and spdx-tools that `scripts/setup-test-venv` makes.
public enum TestVenv {
    /// `$DIBKIT_TEST_VENV`, else `~/.cache/dibkit/venv-moto`.
    public static var directory: URL {
        if let path = ProcessInfo.processInfo.environment["DIBKIT_TEST_VENV"], !path.isEmpty {
            return URL(fileURLWithPath: path)
        }
        return FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/dibkit/venv-moto")
    }

    /// The venv's interpreter. - Throws: `TestServerError` saying how to make the venv when it is missing.
    public static func python() throws -> URL {
        let python = directory.appendingPathComponent("bin/python")
        guard FileManager.default.isExecutableFile(atPath: python.path) else {
            throw TestServerError("no test venv at \(directory.path): run scripts/setup-test-venv (scripts/test does)")
        }
        return python
    }

    /// `Tests/TestSupport/python`.
    static var scripts: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("python")
    }

    /// The official DigitalOcean schemas: `$DIBKIT_DO_SCHEMAS`, else the copy kept beside these sources
    /// (`Tests/TestSupport/digitalocean-openapi`, unchanged from the shared test data; see its README).
    public static var digitalOceanSchemas: URL {
        if let path = ProcessInfo.processInfo.environment["DIBKIT_DO_SCHEMAS"], !path.isEmpty {
            return URL(fileURLWithPath: path)
        }
        return scripts.deletingLastPathComponent().appendingPathComponent("digitalocean-openapi")
    }
}
