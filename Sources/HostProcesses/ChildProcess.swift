public import Foundation
import Synchronization

/// A long-running child process (qemu, a database client): awaitable, and always stoppable (SIGTERM, then SIGKILL).
///
/// Spawned with `posix_spawn` so that it starts with no blocked signals and default handlers (Foundation's
/// `Process` passes on the signal mask of the spawning thread, which blocks SIGTERM and SIGINT on Dispatch's
/// threads), in its own process group so a terminal's Ctrl-C reaches dibkit only and dibkit does the cleanup.
public final class ChildProcess: Sendable {
    private let state = Mutex<(status: Int32?, waiters: [CheckedContinuation<Void, Never>])>((nil, []))
    /// The program's name, for messages.
    public let name: String
    /// The process id.
    public let pid: Int32

    /// Starts `executable` (looked up in PATH) with `arguments`; stdout and stderr go to `output` (or nowhere).
    /// `environment`, when given, is the child's whole environment; by default it inherits dibkit's.
    public init(_ executable: String, _ arguments: [String], output: URL? = nil, environment: [String: String]? = nil) throws {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        guard let url = path.split(separator: ":")
            .map({ URL(fileURLWithPath: String($0)).appendingPathComponent(executable) })
            .first(where: { FileManager.default.isExecutableFile(atPath: $0.path) })
        else {
            throw ProcessError.toolFailed(tool: executable, message: "not found in PATH")
        }
        name = executable
        pid = try Self.spawn(url.path, arguments, output: output?.path ?? "/dev/null", environment: environment)
        let pid = pid
        Thread { [weak self] in
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
            let code = status & 0x7F == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
            self?.finish(code)
        }.start()
    }

    private static func spawn(
        _ path: String, _ arguments: [String], output: String, environment: [String: String]?
    ) throws -> Int32 {
        var actions = posix_spawn_file_actions_t()
        var attributes = posix_spawnattr_t()
        posix_spawn_file_actions_init(&actions)
        posix_spawnattr_init(&attributes)
        defer {
            posix_spawn_file_actions_destroy(&actions)
            posix_spawnattr_destroy(&attributes)
        }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        var none = sigset_t()
        var all = sigset_t()
        sigemptyset(&none)
        sigfillset(&all)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(
            &attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP))
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { $0.sorted { $0.key < $1.key }.map { strdup("\($0.key)=\($0.value)") } + [nil] }
        defer {
            argv.forEach { free($0) }
            envp?.forEach { free($0) }
        }
        var pid: Int32 = 0
        let rc = envp.map { posix_spawn(&pid, path, &actions, &attributes, argv, $0) }
            ?? posix_spawn(&pid, path, &actions, &attributes, argv, environ)
        guard rc == 0 else {
            throw ProcessError.toolFailed(
                tool: path, message: "posix_spawn failed: \(String(cString: strerror(rc)))")
        }
        return pid
    }

    private func finish(_ code: Int32) {
        let waiters = state.withLock { state in
            state.status = code
            defer { state.waiters = [] }
            return state.waiters
        }
        waiters.forEach { $0.resume() }
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
    public func stop(grace: Duration = .seconds(3)) async {
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
