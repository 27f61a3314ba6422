public import Foundation
import Reporting
import Synchronization

/// A child process (qemu, a database client, any host program): awaitable, and always stoppable.
///
/// Started by `ProcessSpawner`: default signal dispositions, nothing blocked, a process group of its own, and
/// SIGKILL when dibkit dies. Stopping signals the whole group: SIGTERM, then SIGKILL after a grace period.
public final class ChildProcess: Sendable {
    private struct State {
        var status: Int32?
        var waiters: [CheckedContinuation<Void, Never>] = []
        var exitWaiters: [CheckedContinuation<Int32, Never>] = []
    }
    private let state = Mutex(State())
    /// The program's name, for messages.
    public let name: String
    /// The process id, also the id of the process group it leads.
    public let pid: Int32

    /// Starts `executable` (looked up in PATH) with `arguments`; stdout and stderr go to `output` (or nowhere).
    /// `environment`, when given, is the child's whole environment; by default it inherits dibkit's.
    public convenience init(
        _ executable: String, _ arguments: [String], output: URL? = nil, environment: [String: String]? = nil
    ) throws {
        let input = open("/dev/null", O_RDONLY | O_CLOEXEC)
        let sink = open(output?.path ?? "/dev/null", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        defer {
            if input >= 0 { close(input) }
            if sink >= 0 { close(sink) }
        }
        guard input >= 0, sink >= 0 else {
            throw ProcessError.toolFailed(
                tool: executable,
                message: "cannot open \(output?.path ?? "/dev/null") for its output: \(String(cString: strerror(errno)))")
        }
        try self.init(executable, arguments, environment: environment, input: input, output: sink, error: sink)
    }

    /// Starts `executable` (looked up in PATH) with these standard descriptors (the caller keeps and closes its own).
    init(
        _ executable: String, _ arguments: [String], environment: [String: String]?,
        input: Int32, output: Int32, error: Int32
    ) throws {
        guard let path = ProcessSpawner.locate(executable) else {
            throw ProcessError.toolFailed(tool: executable, message: "not found in PATH")
        }
        name = executable
        pid = try ProcessSpawner.spawn(path, arguments, environment: environment, input: input, output: output, error: error)
        let pid = pid
        Thread { [self] in
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
            let code = status & 0x7F == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
            finish(code)
        }.start()
    }

    private func finish(_ code: Int32) {
        let (waiters, exitWaiters) = state.withLock { state in
            state.status = code
            defer {
                state.waiters = []
                state.exitWaiters = []
            }
            return (state.waiters, state.exitWaiters)
        }
        waiters.forEach { $0.resume() }
        exitWaiters.forEach { $0.resume(returning: code) }
    }

    /// The exit status (128 + signal number when killed) once the process has ended; nil while it runs.
    public var exitStatus: Int32? { state.withLock { $0.status } }

    /// Waits for the process to end, at most `timeout`. Returns the status, or nil if it still runs.
    /// Cancellation of the calling task ends the wait early (returning nil) but does not stop the process.
    public func wait(timeout: Duration) async -> Int32? {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.ended() }
            group.addTask { try? await Task.sleep(for: timeout) }
            await group.next()
            group.cancelAll()
        }
        return exitStatus
    }

    /// Waits for the process to end, however long; cancellation does not end this wait (stop the process for that).
    public func waitForExit() async -> Int32 {
        await withCheckedContinuation { continuation in
            let status = state.withLock { state -> Int32? in
                if state.status == nil { state.exitWaiters.append(continuation) }
                return state.status
            }
            if let status { continuation.resume(returning: status) }
        }
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

    /// Starts stopping the process group without waiting: SIGTERM now, SIGKILL after `grace` if the process is
    /// still there. For cancellation handlers, which cannot wait.
    public func terminate(grace: Duration = .seconds(3)) {
        guard exitStatus == nil else { return }
        signalGroup(SIGTERM)
        DispatchQueue.global().asyncAfter(deadline: .now() + grace.inSeconds) { [self] in
            if exitStatus == nil { signalGroup(SIGKILL) }
        }
    }

    /// Stops the process group: SIGTERM, then SIGKILL after `grace`; returns once the process has ended.
    /// Safe to call more than once and after the process ended. Runs to completion even in a cancelled task.
    public func stop(grace: Duration = .seconds(3)) async {
        guard exitStatus == nil else { return }
        terminate(grace: grace)
        _ = await waitForExit()
    }

    /// Sends `signal` to the process's group (which it leads), or to the process if the group is gone.
    private func signalGroup(_ signal: Int32) {
        if kill(-pid, signal) != 0 { kill(pid, signal) }
    }

    /// Runs a short tool to completion and throws with its output when it fails.
    public static func run(_ executable: String, _ arguments: [String], log: URL, timeout: Duration = .seconds(60))
        async throws
    {
        let child = try ChildProcess(executable, arguments, output: log)
        let status = await child.wait(timeout: timeout)
        if status == nil { await child.stop() }
        guard status == 0 else {
            let output = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
            let what = status.map { "exited with status \($0)" } ?? "did not finish within \(timeout)"
            throw ProcessError.toolFailed(
                tool: executable,
                message: "\(what) (\(arguments.joined(separator: " "))): \(output.suffix(800))")
        }
    }
}
