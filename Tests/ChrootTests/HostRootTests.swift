import Chroot
import Foundation
import TestSupport
import Testing
import HostProcesses

@Suite("HostRoot: commands inside a root, in private namespaces")
struct HostRootTests {
    @Test("runs inside the root with /proc and /dev, the given environment only, and a bind mount")
    func runsInsideRoot() async throws {
        let folder = try TemporaryFolder()
        let root = folder.url.appendingPathComponent("root")
        try makeMinimalRoot(at: root)
        let shared = folder.url.appendingPathComponent("shared")
        try FileManager.default.createDirectory(at: shared, withIntermediateDirectories: true)
        try Data("from the host\n".utf8).write(to: shared.appendingPathComponent("note"))
        let session = HostRoot(path: root, mounts: [.init(source: shared, target: "/tmp/in_target.d")])
        let output = try await session.run(
            "echo \"$GREETING\"; cat /tmp/in_target.d/note; ls /proc/self/ >/dev/null && echo proc-ok; echo ${HOME:-nohome}",
            environment: ["GREETING": "hello", "PATH": "/bin:/usr/bin"], label: "probe")
        #expect(output.standardOutput == "hello\nfrom the host\nproc-ok\nnohome\n")
    }

    @Test("leaves no mount behind, also when the command fails; the error carries status and output tail")
    func failureLeavesNoMounts() async throws {
        let folder = try TemporaryFolder()
        let root = folder.url.appendingPathComponent("root")
        try makeMinimalRoot(at: root)
        let session = HostRoot(path: root)
        do {
            try await session.run("echo first; echo last words >&2; exit 7", environment: ["PATH": "/bin"], label: "doomed")
            Issue.record("a failing command must throw")
        } catch ProcessError.commandFailed(let label, let status, let tail) {
            #expect(label == "doomed")
            #expect(status == 7)
            #expect(tail.contains("last words") && tail.contains("first"))
        }
        let mounts = try String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)
        #expect(!mounts.contains(root.path))
    }

    @Test("cancellation stops the command and everything it started")
    func cancellationKillsTree() async throws {
        let folder = try TemporaryFolder()
        let root = folder.url.appendingPathComponent("root")
        try makeMinimalRoot(at: root)
        let marker = "dibkit-cancel-\(UUID().uuidString.prefix(6))"
        let task = Task {
            try await HostRoot(path: root).run(
                "sleep 300 & sleep 301; echo \(marker)", environment: ["PATH": "/bin", "M": marker], label: "sleeper")
        }
        try await Task.sleep(for: .seconds(1))
        task.cancel()
        await #expect(throws: ProcessError.cancelled) { try await task.value }
        try await Task.sleep(for: .seconds(1))
        let leftovers = try shell("pgrep -f 'sleep 30[01]' || true")
        let inRoot = leftovers.split(separator: "\n").filter { pid in
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/root")) == root.path
        }
        #expect(inRoot.isEmpty)
        let mounts = try String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)
        #expect(!mounts.contains(root.path))
    }

    @Test("the environment's values reach the command without appearing on any command line (ps, /proc/PID/cmdline)")
    func environmentValuesStayOffCommandLines() async throws {
        let folder = try TemporaryFolder()
        let root = folder.url.appendingPathComponent("root")
        try makeMinimalRoot(at: root)
        let secret = "hook-secret-\(UUID().uuidString)"
        // The host's /proc, to read every process's command line from inside (the root's own /proc is the
        // namespace's); bash builtins only, so the value is never an argument of the scan itself.
        let session = HostRoot(path: root, mounts: [.init(source: URL(fileURLWithPath: "/proc"), target: "/host-proc")])
        let output = try await session.run(
            """
            for f in /proc/self/cmdline /host-proc/[0-9]*/cmdline; do
                while IFS= read -r -d '' argument || [ -n "$argument" ]; do
                    case "$argument" in *"$SECRET"*) echo "on a command line: $f" ;; esac
                done 2>/dev/null < "$f" || true
            done
            echo "scanned; inside: $SECRET"
            """,
            environment: ["SECRET": secret, "PATH": "/bin:/usr/bin"], label: "scan")
        #expect(output.standardOutput == "scanned; inside: \(secret)\n")
    }
}
