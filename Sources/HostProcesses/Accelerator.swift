import Foundation
public import Reporting
import Synchronization

/// The virtualisation backend qemu (and libguestfs) should use.
public enum Accelerator: String, Sendable, Codable, CaseIterable {
    /// Hardware virtualisation through `/dev/kvm`.
    case kvm
    /// qemu's portable software emulator: always works, several times slower.
    case tcg

    /// The qemu arguments that select this accelerator.
    public var qemuArguments: [String] {
        switch self {
        case .kvm: ["-accel", "kvm", "-cpu", "host"]
        case .tcg: ["-accel", "tcg"]
        }
    }
}

/// The accelerator chosen for this process, and why.
public struct AcceleratorChoice: Sendable, Equatable, Codable {
    /// The accelerator to use.
    public var accelerator: Accelerator
    /// Why it was chosen, in words, e.g. `KVM probe failed: qemu aborted: failed to set MSR 0x10a to 0x69`.
    public var reason: String

    /// Makes a choice from its parts.
    public init(accelerator: Accelerator, reason: String) {
        self.accelerator = accelerator
        self.reason = reason
    }

    /// One line for users: `accelerator: tcg (KVM probe failed: …)`.
    public var summary: String { "accelerator: \(accelerator.rawValue) (\(reason))" }

    /// `detect()`, its summary said in a note to `progress`.
    public static func detect(reportingTo progress: ProgressHandler) async -> AcceleratorChoice {
        let choice = await detect()
        progress(.note(choice.summary))
        return choice
    }

    /// The environment variable that overrides detection: `kvm` or `tcg`.
    public static let overrideVariable = "DIBKIT_ACCEL"

    /// Decides whether KVM works on this machine, falling back to TCG.
    ///
    /// `DIBKIT_ACCEL=kvm|tcg` wins when set. Otherwise `/dev/kvm` must exist and open read-write, and a real
    /// qemu must run a one-sector guest under KVM to completion within `timeout` (nested KVM can abort or hang;
    /// both mean TCG). Nothing is cached across processes.
    /// - Parameters:
    ///   - timeout: how long the KVM guest may take before it counts as hung and is killed.
    ///   - environment: where to read the override from; nil means the process environment.
    /// - Returns: the accelerator and the reason, never an error: every failure means TCG.
    public static func detect(
        timeout: Duration = .seconds(5),
        environment: [String: String]? = nil
    ) async -> AcceleratorChoice {
        var prefix = ""
        let environment = environment ?? ProcessInfo.processInfo.environment
        if let value = environment[overrideVariable], !value.isEmpty {
            if let forced = Accelerator(rawValue: value.lowercased()) {
                return AcceleratorChoice(accelerator: forced, reason: "set by \(overrideVariable)")
            }
            prefix = "ignored \(overrideVariable)=\(value) (not kvm or tcg); "
        }
        guard FileManager.default.fileExists(atPath: "/dev/kvm") else {
            return AcceleratorChoice(accelerator: .tcg, reason: prefix + "/dev/kvm does not exist")
        }
        let fd = open("/dev/kvm", O_RDWR | O_CLOEXEC)
        guard fd >= 0 else {
            let cause = String(cString: strerror(errno))
            return AcceleratorChoice(accelerator: .tcg, reason: prefix + "cannot open /dev/kvm: \(cause)")
        }
        close(fd)
        switch await probe(.kvm, timeout: timeout) {
        case .passed:
            return AcceleratorChoice(accelerator: .kvm, reason: prefix + "KVM probe passed")
        case .failed(let why):
            return AcceleratorChoice(accelerator: .tcg, reason: prefix + "KVM probe failed: \(why)")
        }
    }

    /// The outcome of booting the probe sector.
    public enum ProbeOutcome: Sendable, Equatable {
        /// The guest ran and reported back through the debug-exit port.
        case passed
        /// It did not, for this reason (first line of qemu's stderr, or `timed out after …`).
        case failed(String)
    }

    /// Boots a one-sector guest under `accelerator` that writes 0x2a to an `isa-debug-exit` port, which makes
    /// qemu exit with status `(0x2a << 1) | 1 = 85`. Any other ending is a failure.
    /// - Parameters:
    ///   - accelerator: the backend to try.
    ///   - timeout: after this the qemu process is killed and the probe fails.
    public static func probe(_ accelerator: Accelerator, timeout: Duration) async -> ProbeOutcome {
        guard let qemu = findExecutable("qemu-system-x86_64") else {
            return .failed("qemu-system-x86_64 not found in PATH (install qemu-system-x86)")
        }
        let sector = FileManager.default.temporaryDirectory
            .appendingPathComponent("dibkit-accel-probe-\(UUID().uuidString).img")
        defer { try? FileManager.default.removeItem(at: sector) }
        do {
            try probeDisk().write(to: sector)
        } catch {
            return .failed("cannot write the probe disk \(sector.path): \(error)")
        }
        let process = Process()
        process.executableURL = qemu
        process.arguments = accelerator.qemuArguments + [
            "-m", "32", "-nodefaults", "-display", "none", "-no-reboot",
            "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
            "-drive", "file=\(sector.path),format=raw,if=ide",
        ]
        let stderr = Pipe()
        process.standardError = stderr
        process.standardOutput = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        let exit = ExitWaiter()
        process.terminationHandler = { exit.finish($0.terminationStatus, $0.terminationReason) }
        do {
            try process.run()
        } catch {
            return .failed("cannot start \(qemu.path): \(error)")
        }
        let ending = await exit.wait(timeout: timeout)
        if ending == nil {
            process.terminate()
            if await exit.wait(timeout: .seconds(1)) == nil { kill(process.processIdentifier, SIGKILL) }
            _ = await exit.wait(timeout: .seconds(5))
        }
        let message = firstLine(of: stderr.fileHandleForReading.readDataToEndOfFile())
        guard let (status, reason) = ending else {
            return .failed("timed out after \(timeout.components.seconds) s")
        }
        switch reason {
        case .exit where status == 85:
            return .passed
        case .uncaughtSignal:
            return .failed("qemu aborted" + (message.map { ": \($0)" } ?? " (signal \(status))"))
        default:
            return .failed("qemu exited with status \(status)" + (message.map { ": \($0)" } ?? ""))
        }
    }

    /// A 1 MiB raw disk whose boot sector runs `mov al,0x2a; out 0xf4,al; hlt; jmp $-1`.
    /// (SeaBIOS skips a virtio disk of a single sector, so the disk is padded.)
    static func probeDisk() -> Data {
        var disk = Data([0xB0, 0x2A, 0xE6, 0xF4, 0xF4, 0xEB, 0xFD])
        disk.append(Data(count: 510 - disk.count))
        disk.append(contentsOf: [0x55, 0xAA])
        disk.append(Data(count: 1 << 20 - 512))
        return disk
    }

    /// qemu's first stderr line, without the `qemu-system-x86_64: ` and `error: ` prefixes.
    private static func firstLine(of data: Data) -> String? {
        let text = String(decoding: data, as: UTF8.self)
        guard var line = text.split(whereSeparator: \.isNewline).first.map(String.init) else { return nil }
        for prefix in ["qemu-system-x86_64: ", "error: "] where line.hasPrefix(prefix) {
            line.removeFirst(prefix.count)
        }
        return line
    }

    private static func findExecutable(_ name: String) -> URL? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":")
            .map { URL(fileURLWithPath: String($0)).appendingPathComponent(name) }
            .first { FileManager.default.isExecutableFile(atPath: $0.path) }
    }
}

/// Delivers a process's termination to one async waiter at a time, with a timeout.
private final class ExitWaiter: Sendable {
    typealias Ending = (Int32, Process.TerminationReason)
    private struct State {
        var ending: Ending?
        var waiter: CheckedContinuation<Ending?, Never>?
    }
    private let state = Mutex(State())

    func finish(_ status: Int32, _ reason: Process.TerminationReason) {
        let waiter = state.withLock { state in
            state.ending = (status, reason)
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(returning: (status, reason))
    }

    /// The ending, or nil if the process is still running after `timeout`.
    func wait(timeout: Duration) async -> Ending? {
        await withTaskGroup(of: Ending?.self) { group in
            group.addTask {
                await withTaskCancellationHandler {
                    await withCheckedContinuation { continuation in
                        let ready: Ending?? = self.state.withLock { state in
                            if let ending = state.ending { return .some(ending) }
                            if Task.isCancelled { return .some(nil) }
                            state.waiter = continuation
                            return nil
                        }
                        if let ready { continuation.resume(returning: ready) }
                    }
                } onCancel: {
                    self.release()
                }
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first ?? self.state.withLock { $0.ending }
        }
    }

    /// Wakes a pending waiter with nil (the timeout won the race).
    private func release() {
        let waiter = state.withLock { state in
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(returning: nil)
    }
}
