import Foundation

/// The thread that makes one session's libguestfs calls, one at a time (each blocks until the appliance answers).
///
/// libguestfs forks the appliance's processes (supermin, qemu, its recovery process) from the thread that calls
/// `guestfs_launch`, so here they are this thread's children, listed in `/proc/self/task/TID/children`. That is
/// how `killChildren` finds them while a call blocks — during the launch too, when `guestfs_get_pid` would wait
/// for the handle's lock, which the launch holds.
final class SessionThread: @unchecked Sendable {
    private let condition = NSCondition()
    private var jobs: [() -> Void] = []
    private var running = false
    private var finished = false
    /// The kernel's id of the thread; -1 when it could not be read (then no child can be found).
    private var threadID: Int32?

    init() {
        let thread = Thread { [self] in work() }
        thread.name = "dibkit.guestfs"
        thread.start()
        condition.withLock { while threadID == nil { condition.wait() } }
    }

    private func work() {
        let link = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/thread-self")) ?? ""
        condition.withLock {
            threadID = link.split(separator: "/").last.flatMap { Int32($0) } ?? -1
            condition.broadcast()
        }
        while true {
            condition.lock()
            while jobs.isEmpty && !finished { condition.wait() }
            guard !jobs.isEmpty else {
                condition.unlock()
                return
            }
            let job = jobs.removeFirst()
            running = true
            condition.unlock()
            job()
            condition.withLock { running = false }
        }
    }

    /// Runs `body` on the thread, after the calls queued before it.
    func run<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            condition.withLock {
                jobs.append { continuation.resume(returning: body()) }
                condition.broadcast()
            }
        }
    }

    /// Whether a call runs or waits.
    var isBusy: Bool { condition.withLock { running || !jobs.isEmpty } }

    /// Lets the thread end once the calls queued so far are done.
    func finish() {
        condition.withLock {
            finished = true
            condition.broadcast()
        }
    }

    /// SIGKILL to every child of the thread: to its process group when it leads one (qemu and the recovery
    /// process do, by `guestfs_set_pgroup`), else to the process.
    func killChildren() {
        guard let id = condition.withLock({ threadID }), id > 0,
            let list = try? String(contentsOfFile: "/proc/self/task/\(id)/children", encoding: .utf8)
        else { return }
        for pid in list.split(whereSeparator: \.isWhitespace).compactMap({ pid_t($0) }) {
            if getpgid(pid) == pid { kill(-pid, SIGKILL) } else { kill(pid, SIGKILL) }
        }
    }
}
