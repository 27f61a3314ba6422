import Foundation

/// The one way dibkit starts a program: `posix_spawn` from one long-lived thread, through `setpriv --pdeathsig KILL`.
///
/// Every child
/// - starts with default signal dispositions and no blocked signals (dibkit ignores and blocks SIGINT and SIGTERM
///   while it works; Foundation's `Process` would pass both on, and a qemu started so ignores them);
/// - leads a process group of its own, so a terminal's Ctrl-C reaches dibkit only, which stops the group;
/// - gets SIGKILL when dibkit dies, even by SIGKILL (`PR_SET_PDEATHSIG`, set by `setpriv` before it execs the
///   program, so the pid is the program's). That signal follows the death of the *thread* that spawned the child,
///   and the threads of Swift's pool come and go: hence one thread, which lives as long as dibkit;
/// - inherits no file descriptor of dibkit's but standard input, output and error.
enum ProcessSpawner {
    /// Starts `executable` (an absolute path) with `arguments`; `input`, `output` and `error` become its standard
    /// descriptors. `environment`, when given, is the child's whole environment; by default it inherits dibkit's.
    /// - Returns: the child's pid, which is also its process group id.
    static func spawn(
        _ executable: String, _ arguments: [String], environment: [String: String]?,
        input: Int32, output: Int32, error: Int32
    ) throws -> pid_t {
        guard let setpriv = locate("setpriv") else {
            throw ProcessError.toolFailed(tool: "setpriv", message: "not found in PATH (install util-linux)")
        }
        let argv = [setpriv, "--pdeathsig", "KILL", "--", executable] + arguments
        let envp = environment.map { $0.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" } }
        let (rc, pid) = try spawnThread.run { spawnNow(argv, envp, input: input, output: output, error: error) }
        guard rc == 0 else {
            throw ProcessError.toolFailed(
                tool: executable, message: "posix_spawn failed: \(String(cString: strerror(rc)))")
        }
        return pid
    }

    /// The first executable file named `name` in dibkit's PATH.
    static func locate(_ name: String) -> String? {
        if name.contains("/") { return FileManager.default.isExecutableFile(atPath: name) ? name : nil }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":").map { "\($0)/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Makes a pipe whose ends are closed on exec (the spawn duplicates the child's end onto 0, 1 or 2).
    /// On the spawning thread, so no child started in between can inherit it.
    static func makePipe() throws -> (read: Int32, write: Int32) {
        try spawnThread.run {
            var ends: [Int32] = [0, 0]
            guard pipe(&ends) == 0 else {
                throw ProcessError.toolFailed(tool: "pipe", message: String(cString: strerror(errno)))
            }
            for end in ends { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
            return (ends[0], ends[1])
        }
    }

    /// `posix_spawn`'s result and the child's pid.
    private static func spawnNow(
        _ argv: [String], _ envp: [String]?, input: Int32, output: Int32, error: Int32
    ) -> (Int32, pid_t) {
        var actions = posix_spawn_file_actions_t()
        var attributes = posix_spawnattr_t()
        posix_spawn_file_actions_init(&actions)
        posix_spawnattr_init(&attributes)
        defer {
            posix_spawn_file_actions_destroy(&actions)
            posix_spawnattr_destroy(&attributes)
        }
        for (source, target) in [(input, Int32(0)), (output, 1), (error, 2)] {
            posix_spawn_file_actions_adddup2(&actions, source, target)
        }
        // Descriptors that libraries opened without close-on-exec (closing one that is gone is not an error).
        for descriptor in openDescriptors() where descriptor > 2 {
            posix_spawn_file_actions_addclose(&actions, descriptor)
        }
        var none = sigset_t()
        var all = sigset_t()
        sigemptyset(&none)
        sigfillset(&all)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(
            &attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP))
        let cArguments = argv.map { strdup($0) } + [nil]
        let cEnvironment = envp.map { $0.map { strdup($0) } + [nil] }
        defer {
            cArguments.forEach { free($0) }
            cEnvironment?.forEach { free($0) }
        }
        var pid: pid_t = 0
        let rc = cEnvironment.map { posix_spawn(&pid, argv[0], &actions, &attributes, cArguments, $0) }
            ?? posix_spawn(&pid, argv[0], &actions, &attributes, cArguments, environ)
        return (rc, pid)
    }

    /// dibkit's open file descriptors, from `/proc/self/fd`.
    private static func openDescriptors() -> [Int32] {
        ((try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []).compactMap { Int32($0) }
    }

    private static let spawnThread = SpawnThread()
}

/// A thread that never ends and runs the work handed to it, one piece at a time, for the caller that waits.
private final class SpawnThread: @unchecked Sendable {
    private let condition = NSCondition()
    private var work: [() -> Void] = []

    init() {
        let thread = Thread { [self] in
            while true {
                condition.lock()
                while work.isEmpty { condition.wait() }
                let next = work.removeFirst()
                condition.unlock()
                next()
            }
        }
        thread.name = "dibkit.spawn"
        thread.start()
    }

    /// Runs `body` on the thread and returns its result; the calling thread blocks meanwhile (microseconds).
    func run<T>(_ body: @escaping () throws -> T) throws -> T {
        let outcome = Outcome<T>()
        condition.withLock {
            work.append {
                outcome.result = Result { try body() }
                outcome.done.signal()
            }
            condition.signal()
        }
        outcome.done.wait()
        return try outcome.result!.get()
    }

    /// Where the thread leaves a result for the caller waiting on `done`.
    private final class Outcome<T> {
        var result: Result<T, any Error>?
        let done = DispatchSemaphore(value: 0)
    }
}
