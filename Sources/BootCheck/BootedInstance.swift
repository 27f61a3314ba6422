public import Foundation
public import HostProcesses
import QcowIO

/// How to boot one instance of an image for a scenario its caller drives (a backup and a restore, a data disk).
public struct InstanceOptions: Sendable {
    /// The image (never modified: the instance writes to its own overlay).
    public var image: URL
    /// A `#cloud-config` document without `ssh_authorized_keys`: the instance adds the key it logs in with.
    public var userData: String
    /// Guest TCP ports forwarded to free ports on 127.0.0.1 (ssh's port 22 always is).
    public var forwardedPorts: [Int] = []
    /// The size of an empty extra disk (the guest's vdc, after the root disk and the seed); nil: none.
    public var extraDiskGiB: Int?
    /// An extra disk to attach as it is (a data disk kept from an earlier instance), in place of a new one.
    public var existingExtraDisk: URL?
    public var memoryMiB = 1024
    public var cpus = 1
    public var accelerator: AcceleratorChoice
    /// The folder holding the instance's files (overlay, seed, key, console); made private, kept by the caller.
    public var directory: URL

    public init(image: URL, userData: String, accelerator: AcceleratorChoice, directory: URL) {
        self.image = image
        self.userData = userData
        self.accelerator = accelerator
        self.directory = directory
    }
}

/// One booted instance: its own overlay and NoCloud seed (a new instance-id), an ssh key of its own in its
/// user-data, ports forwarded to 127.0.0.1 and a serial console to read. Commands run in it over ssh as the
/// image's login user (`dibkit`, password-less sudo). Used from one task; `stop()` ends qemu.
public final class BootedInstance {
    /// The user the image's cloud-init makes (`--login-user`, default `dibkit`).
    public static let loginUser = "dibkit"

    let machine: QemuMachine
    let key: URL
    /// Host port on 127.0.0.1 of each forwarded guest port.
    public let hostPorts: [Int: Int]
    /// The extra disk, when the instance has one (keep it to attach it to another instance).
    public let extraDisk: URL?

    init(machine: QemuMachine, key: URL, hostPorts: [Int: Int], extraDisk: URL?) {
        self.machine = machine
        self.key = key
        self.hostPorts = hostPorts
        self.extraDisk = extraDisk
    }

    /// Boots an instance of `options.image`; it runs until `stop()`.
    public static func boot(_ options: InstanceOptions) async throws -> BootedInstance {
        let folder = options.directory
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        let log = folder.appendingPathComponent("tools.log")
        let format = try BootRun.format(of: options.image.standardizedFileURL)
        let overlay = folder.appendingPathComponent("overlay.qcow2")
        try await ChildProcess.run(
            "qemu-img", ["create", "-f", "qcow2", "-F", format.rawValue, "-b", options.image.standardizedFileURL.path,
                         overlay.path], log: log)
        var extraDisk = options.existingExtraDisk
        if extraDisk == nil, let size = options.extraDiskGiB {
            let disk = folder.appendingPathComponent("extra-disk.qcow2")
            try await ChildProcess.run("qemu-img", ["create", "-f", "qcow2", disk.path, "\(size)G"], log: log)
            extraDisk = disk
        }
        let key = folder.appendingPathComponent("ssh-key")
        try await ChildProcess.run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "dibkit-test", "-f", key.path], log: log)
        let publicKey = try String(contentsOf: key.appendingPathExtension("pub"), encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let userData = options.userData.hasSuffix("\n") ? options.userData : options.userData + "\n"
        let seed = folder.appendingPathComponent("seed.iso")
        try await NoCloudSeed.make(
            iso: seed, userData: Data((userData + "ssh_authorized_keys: [\"\(publicKey)\"]\n").utf8),
            instanceID: NoCloudSeed.newInstanceID(), in: folder)
        var hostPorts: [Int: Int] = [:]
        for port in Set(options.forwardedPorts + [22]) { hostPorts[port] = try freeLoopbackPort() }
        let machine = try QemuMachine.start(
            overlay: overlay, seed: seed, accelerator: options.accelerator.accelerator, memoryMiB: options.memoryMiB,
            cpus: options.cpus, forwards: hostPorts.map { ($0.value, $0.key) }, link: nil,
            extraDisks: extraDisk.map { [$0] } ?? [], directory: folder, tag: "instance")
        return BootedInstance(machine: machine, key: key, hostPorts: hostPorts, extraDisk: extraDisk)
    }

    /// Waits until the first-boot step has configured the instance (its console says so); throws when the
    /// step fails, the boot fails, qemu exits, or `timeout` passes.
    public func waitUntilConfigured(timeout: Duration = .seconds(900)) async throws {
        let clock = ContinuousClock(), start = clock.now
        while true {
            try Task.checkCancellation()
            let text = machine.console.text()
            if text.contains("dibkit-firstboot: configured instance") { return }
            if let status = machine.process.exitStatus {
                throw BootCheckError.bootFailed(reason: "qemu exited with status \(status): \(machine.qemuMessages())",
                                                consoleTail: machine.console.tail())
            }
            if let marker = machine.console.fatalMarker() ?? (text.contains("dibkit-firstboot: error") ? "dibkit-firstboot: error" : nil) {
                throw BootCheckError.bootFailed(reason: "the console shows \"\(marker)\"", consoleTail: machine.console.tail())
            }
            guard clock.now - start < timeout else {
                throw BootCheckError.bootFailed(reason: "first boot not done within \(timeout.components.seconds) s",
                                                consoleTail: machine.console.tail())
            }
            try await Task.sleep(for: .seconds(2))
        }
    }

    /// Runs `command` (a shell command line) in the instance over ssh as the login user, retrying the
    /// connection until sshd answers (at most `connectTimeout`); its exit status and output (stdout and
    /// stderr together).
    public func ssh(_ command: String, connectTimeout: Duration = .seconds(180)) async throws -> CommandOutput {
        let clock = ContinuousClock(), start = clock.now
        let arguments = ["ssh", "-i", key.path, "-p", "\(hostPorts[22]!)", "-o", "BatchMode=yes",
                         "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
                         "-o", "ConnectTimeout=20", "-o", "LogLevel=ERROR", "\(Self.loginUser)@127.0.0.1",
                         "--", command + " 2>&1"]
        while true {
            let output = try await CommandRunner.run(arguments, label: "ssh \(command)", check: false)
            // 255: ssh itself failed (sshd not up yet, the key not yet installed by cloud-init).
            if output.status != 255 || clock.now - start > connectTimeout { return output }
            try await Task.sleep(for: .seconds(3))
        }
    }

    /// The last lines of the serial console.
    public func consoleTail(_ lines: Int = 40) -> String { machine.console.tail(lines) }

    /// The whole serial console so far.
    public func consoleText() -> String { machine.console.text() }

    /// Stops qemu (the guest is not shut down cleanly: as a lost machine).
    public func stop() async { await machine.process.stop() }

    /// Shuts the guest down through ACPI and waits for qemu to exit (at most `timeout`), else stops it.
    public func powerDown(timeout: Duration = .seconds(120)) async {
        try? await machine.requestPowerDown()
        if await machine.process.wait(timeout: timeout) == nil { await machine.process.stop() }
    }
}
