import Foundation
public import Reporting

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
        // qemu64, TCG's default CPU, lacks what newer kernels expect (sid's 7.2 oopses on it at boot).
        case .tcg: ["-accel", "tcg", "-cpu", "max"]
        }
    }
}

/// The accelerator chosen for this process, and why.
public struct AcceleratorChoice: Sendable, Equatable, Codable {
    /// The accelerator to use.
    public var accelerator: Accelerator
    /// Why it was chosen, in words, e.g. `KVM kernel probe failed: qemu aborted: failed to set MSR 0x10a to 0x69`.
    public var reason: String

    /// Makes a choice from its parts.
    public init(accelerator: Accelerator, reason: String) {
        self.accelerator = accelerator
        self.reason = reason
    }

    /// One line for users: `accelerator: tcg (KVM kernel probe failed: …)`.
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
    /// `DIBKIT_ACCEL=kvm|tcg` wins when set, then libguestfs's own `LIBGUESTFS_BACKEND_SETTINGS` with
    /// `force_tcg` (which means TCG for qemu too). Otherwise `/dev/kvm` must exist and open read-write, and a Linux
    /// kernel (the one the libguestfs appliance boots) must reach user space under KVM within `timeout`: nested
    /// KVM can abort, or run a boot sector while a kernel spins for ever; every such ending means TCG.
    /// Nothing is cached across processes.
    /// - Parameters:
    ///   - timeout: how long the kernel may take under KVM before it counts as hung and qemu is killed.
    ///   - environment: where to read the override (and `SUPERMIN_KERNEL`) from; nil means the process environment.
    /// - Returns: the accelerator and the reason, never an error: every failure means TCG.
    public static func detect(
        timeout: Duration = .seconds(20),
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
        let backendSettings = environment["LIBGUESTFS_BACKEND_SETTINGS"] ?? ""
        if backendSettings.split(separator: ":").contains("force_tcg") {
            return AcceleratorChoice(accelerator: .tcg, reason: prefix + "set by LIBGUESTFS_BACKEND_SETTINGS=\(backendSettings)")
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
        switch await probe(.kvm, timeout: timeout, environment: environment) {
        case .passed:
            return AcceleratorChoice(accelerator: .kvm, reason: prefix + "KVM kernel probe passed")
        case .failed(let why):
            return AcceleratorChoice(accelerator: .tcg, reason: prefix + "KVM kernel probe failed: \(why)")
        }
    }

    /// The outcome of booting the probe kernel.
    public enum ProbeOutcome: Sendable, Equatable {
        /// The kernel reached user space: its `/init` wrote the marker on the serial console.
        case passed
        /// It did not, for this reason (qemu's first error line, or what the console showed by the deadline).
        case failed(String)
    }

    /// Boots the appliance's kernel under `accelerator` with an initramfs whose `/init` writes a marker line on
    /// the serial console and powers off (`KernelProbe`). The marker within `timeout` passes; anything else
    /// fails. qemu is killed however it ends, also when the calling task is cancelled.
    /// - Parameters:
    ///   - accelerator: the backend to try.
    ///   - timeout: after this qemu is killed and the probe fails.
    ///   - environment: where `SUPERMIN_KERNEL` is read from; nil means the process environment.
    public static func probe(
        _ accelerator: Accelerator, timeout: Duration, environment: [String: String]? = nil
    ) async -> ProbeOutcome {
        guard ProcessSpawner.locate("qemu-system-x86_64") != nil else {
            return .failed("qemu-system-x86_64 not found in PATH (install qemu-system-x86)")
        }
        guard let kernel = KernelProbe.kernel(environment: environment ?? ProcessInfo.processInfo.environment) else {
            return .failed("no kernel to boot: /boot holds no readable vmlinuz-* (the libguestfs appliance needs one "
                + "too: install linux-image-amd64, or set SUPERMIN_KERNEL)")
        }
        let folder = FileManager.default.temporaryDirectory
            .appendingPathComponent("dibkit-kvm-probe-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: folder) }
        let initramfs = folder.appendingPathComponent("initramfs.cpio")
        let console = folder.appendingPathComponent("console.log")
        let log = folder.appendingPathComponent("qemu.log")
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            try KernelProbe.initramfs().write(to: initramfs)
        } catch {
            return .failed("cannot write the probe's initramfs in \(folder.path): \(error)")
        }
        let qemu: ChildProcess
        do {
            qemu = try ChildProcess(
                "qemu-system-x86_64",
                accelerator.qemuArguments + [
                    "-m", "256", "-smp", "2", "-nodefaults", "-display", "none", "-no-reboot",
                    "-kernel", kernel.path, "-initrd", initramfs.path, "-append", KernelProbe.commandLine,
                    "-serial", "file:\(console.path)",
                ],
                output: log)
        } catch {
            return .failed("cannot start qemu: \(error)")
        }
        let outcome = await watch(qemu, console: console, log: log, until: .now + timeout) { seen in
            "\(kernel.path) did not reach user space under \(accelerator.rawValue.uppercased()) within "
                + "\(String(format: "%g", timeout.inSeconds)) s ("
                + (seen.map { "the console's last line: \($0)" } ?? "nothing on the console") + ")"
        }
        await qemu.stop(grace: .milliseconds(200))
        return outcome
    }

    /// Polls the console for the marker until qemu ends, the deadline passes or the task is cancelled.
    private static func watch(
        _ qemu: ChildProcess, console: URL, log: URL, until deadline: ContinuousClock.Instant,
        late: (String?) -> String
    ) async -> ProbeOutcome {
        while true {
            let exited = qemu.exitStatus
            let text = (try? String(contentsOf: console, encoding: .utf8)) ?? ""
            if text.contains(KernelProbe.marker) { return .passed }
            if let status = exited {
                let message = firstLine(of: (try? Data(contentsOf: log)) ?? Data())
                return .failed(
                    (status > 128 ? "qemu aborted" : "qemu exited with status \(status) before user space")
                        + (message.map { ": \($0)" } ?? ""))
            }
            if Task.isCancelled { return .failed("cancelled") }
            if ContinuousClock.now >= deadline {
                return .failed(late(text.split(whereSeparator: \.isNewline).last.map(String.init)))
            }
            try? await Task.sleep(for: .milliseconds(100))
        }
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
}
