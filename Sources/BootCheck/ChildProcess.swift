import Foundation
import Synchronization

/// A child process started by `BootCheck`: awaitable, and always stoppable (SIGTERM, then SIGKILL).
final class ChildProcess: Sendable {
    private let process: Process
    private let state = Mutex<(status: Int32?, waiters: [CheckedContinuation<Void, Never>])>((nil, []))
    /// The program's name, for messages.
    let name: String

    /// Starts `executable` (looked up in PATH) with `arguments`; stdout and stderr go to `output` (or nowhere).
    init(_ executable: String, _ arguments: [String], output: URL? = nil) throws {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        guard let url = path.split(separator: ":")
            .map({ URL(fileURLWithPath: String($0)).appendingPathComponent(executable) })
            .first(where: { FileManager.default.isExecutableFile(atPath: $0.path) })
        else {
            throw BootCheckError.toolFailed(tool: executable, message: "not found in PATH")
        }
        name = executable
        process = Process()
        process.executableURL = url
        process.arguments = arguments
        process.standardInput = FileHandle.nullDevice
        if let output {
            _ = FileManager.default.createFile(atPath: output.path, contents: nil)
            let handle = try FileHandle(forWritingTo: output)
            process.standardOutput = handle
            process.standardError = handle
        } else {
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
        }
        process.terminationHandler = { [weak self] finished in
            guard let self else { return }
            let waiters = self.state.withLock { state in
                state.status = finished.terminationStatus
                defer { state.waiters = [] }
                return state.waiters
            }
            waiters.forEach { $0.resume() }
        }
        do {
            try process.run()
        } catch {
            throw BootCheckError.toolFailed(tool: executable, message: "cannot start \(url.path): \(error)")
        }
    }

    /// The process id.
    var pid: Int32 { process.processIdentifier }

    /// The exit status (or signal number) once the process has ended; nil while it runs.
    var exitStatus: Int32? { state.withLock { $0.status } }

    /// Waits for the process to end, at most `timeout`. Returns the status, or nil if it still runs.
    /// Cancellation of the calling task ends the wait early (returning nil) but does not stop the process.
    func wait(timeout: Duration) async -> Int32? {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.ended() }
            group.addTask { try? await Task.sleep(for: timeout) }
            await group.next()
            group.cancelAll()
        }
        return exitStatus
    }

    private func ended() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let done = state.withLock { state in
                    if state.status != nil || Task.isCancelled { return true }
                    state.waiters.append(continuation)
                    return false
                }
                if done { continuation.resume() }
            }
        } onCancel: {
            let waiters = state.withLock { state in
                defer { state.waiters = [] }
                return state.waiters
            }
            waiters.forEach { $0.resume() }
        }
    }

    /// Stops the process: SIGTERM, then SIGKILL after `grace`; returns once it has ended.
    /// Safe to call more than once and after the process ended. Runs to completion even in a cancelled task.
    func stop(grace: Duration = .seconds(3)) async {
        guard exitStatus == nil else { return }
        kill(pid, SIGTERM)
        await Task.detached { [self] in
            if await wait(timeout: grace) == nil {
                kill(pid, SIGKILL)
                _ = await wait(timeout: .seconds(30))
            }
        }.value
    }

    /// Runs a short tool to completion and throws with its output when it fails.
    static func run(_ executable: String, _ arguments: [String], log: URL, timeout: Duration = .seconds(60))
        async throws
    {
        let child = try ChildProcess(executable, arguments, output: log)
        let status = await child.wait(timeout: timeout)
        if status == nil { await child.stop() }
        guard status == 0 else {
            let output = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
            let what = status.map { "exited with status \($0)" } ?? "did not finish within \(timeout)"
            throw BootCheckError.toolFailed(
                tool: executable,
                message: "\(what) (\(arguments.joined(separator: " "))): \(output.suffix(800))")
        }
    }
}
