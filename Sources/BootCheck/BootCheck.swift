import Foundation
public import HostProcesses
import QcowIO
public import Reporting

/// Boots `options.image` under qemu with a NoCloud seed, checks the database from the host through a forwarded
/// loopback port, and, unless `options.reboot` is false, powers the guest down and boots it again to check that
/// the settings persist and the first-boot step does not run twice.
///
/// The image is never modified (the guest writes to a temporary qcow2 overlay). qemu is stopped and the
/// temporary directory removed on every way out: success, error and task cancellation.
/// - Parameters:
///   - options: what to boot and check.
///   - accelerator: from `AcceleratorChoice.detect()`.
///   - progress: called as phases start (`.stepStarted`) and end and checks pass (`.passed`).
/// - Returns: the report: phases with their times, the checks that passed.
/// - Throws: `BootCheckError` (with the tail of the serial console for boot and check failures), or
///   `CancellationError` when the task was cancelled.
public func runBootCheck(
    _ options: BootCheckOptions, accelerator: AcceleratorChoice,
    progress: @escaping ProgressHandler
) async throws -> BootReport {
    let directory = try makePrivateDirectory(in: options.workParent, prefix: "dibkit-test")
    let run = BootRun(options: options, accelerator: accelerator, directory: directory, progress: progress)
    return try await run.execute(cleaningUp: run.cleanUp)
}

/// A new directory `<prefix>-XXXXXXXX` in `parent` (default: the system temporary directory) that only this
/// user may look inside: the NoCloud seeds in it hold the user-data's passwords.
func makePrivateDirectory(in parent: URL?, prefix: String) throws -> URL {
    let parent = parent ?? FileManager.default.temporaryDirectory
    let directory = parent.appendingPathComponent("\(prefix)-\(UUID().uuidString.prefix(8))")
    try FileManager.default.createDirectory(at: parent, withIntermediateDirectories: true)
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: false,
                                            attributes: [.posixPermissions: 0o700])
    return directory
}

/// A run that stops its guests and removes its directory on every way out.
protocol GuestRun {
    associatedtype Report
    func execute() async throws -> Report
}

extension GuestRun {
    /// `execute()`, then `cleanUp`, also when it throws (a cancelled task too).
    func execute(cleaningUp cleanUp: () async -> Void) async throws -> Report {
        do {
            let report = try await execute()
            await cleanUp()
            return report
        } catch {
            await cleanUp()
            throw error
        }
    }
}

/// One boot check's mutable state; used from one task.
final class BootRun: GuestRun {
    let options: BootCheckOptions
    let accelerator: AcceleratorChoice
    let directory: URL
    let progress: ProgressHandler
    let timer: StepTimer
    let probe: any DatabaseProbe
    let clock = ContinuousClock()
    var machines: [QemuMachine] = []
    var report: BootReport

    init(
        options: BootCheckOptions, accelerator: AcceleratorChoice, directory: URL,
        progress: @escaping ProgressHandler
    ) {
        self.options = options
        self.accelerator = accelerator
        self.directory = directory
        self.progress = progress
        timer = StepTimer(progress: progress)
        probe = options.database.kind.probe
        report = BootReport(
            image: options.image.path, accelerator: accelerator, database: options.database.kind, hostPort: 0,
            instanceID: NoCloudSeed.newInstanceID())
    }

    var bootTimeout: Duration {
        options.bootTimeout ?? (accelerator.accelerator == .tcg ? .seconds(600) : .seconds(180))
    }

    func execute() async throws -> BootReport {
        let start = clock.now
        let overlay = directory.appendingPathComponent("overlay.qcow2")
        let seed = directory.appendingPathComponent("seed.iso")
        try await phase(.preparing, detail: options.image.lastPathComponent) {
            try await prepare(overlay: overlay, seed: seed)
        }
        let first = try await phase(.booting, detail: accelerator.accelerator.rawValue) {
            try await boot(overlay: overlay, seed: seed, tag: "first")
        }
        try await phase(.checking, detail: "127.0.0.1:\(report.hostPort)") {
            try await checkDatabase(on: first)
            try await checkFirstBoot(on: first, secondBoot: false)
            try checkUnits(on: first)
        }
        if options.reboot {
            try await phase(.poweringDown, detail: "ACPI power button") { try await powerDown(first) }
            let second = try await phase(.rebooting, detail: accelerator.accelerator.rawValue) {
                try await boot(overlay: overlay, seed: seed, tag: "second")
            }
            try await phase(.recheck, detail: "settings kept, first boot not repeated") {
                try await checkDatabase(on: second)
                try await checkFirstBoot(on: second, secondBoot: true)
                try checkUnits(on: second)
            }
        }
        report.totalSeconds = Self.tenths((clock.now - start).inSeconds)
        report.consolePath = options.keepConsole?.path
        return report
    }

    /// Stops every qemu started, keeps the console if asked, removes the temporary directory.
    func cleanUp() async {
        for machine in machines { await machine.process.stop() }
        if let keep = options.keepConsole {
            let text = machines.map { $0.console.text() }
                .joined(separator: "\n===== dibkit: second boot =====\n")
            try? Data(text.utf8).write(to: keep)
        }
        try? FileManager.default.removeItem(at: directory)
    }

    private func phase<T>(_ name: BootPhase, detail: String, _ body: () async throws -> T) async throws -> T {
        try Task.checkCancellation()
        let result = try await timer.time(name.rawValue, detail: detail, body)
        report.phases.append(.init(name: name, seconds: Self.tenths(timer.timings.last?.seconds ?? 0)))
        return result
    }

    /// Seconds as the report gives them: to a tenth.
    private static func tenths(_ seconds: Double) -> Double { (seconds * 10).rounded() / 10 }

    private func prepare(overlay: URL, seed: URL) async throws {
        let image = options.image.standardizedFileURL
        let format = try Self.format(of: image)
        try await ChildProcess.run(
            "qemu-img", ["create", "-f", "qcow2", "-F", format.rawValue, "-b", image.path, overlay.path],
            log: directory.appendingPathComponent("qemu-img.log"))
        let userData: Data
        if let file = options.userData {
            do {
                userData = try Data(contentsOf: file)
            } catch {
                throw BootCheckError.badUserData(path: file.path, message: "cannot read it: \(error)")
            }
        } else {
            userData = Data(options.database.userData.utf8)
        }
        try await NoCloudSeed.make(iso: seed, userData: userData, instanceID: report.instanceID, in: directory)
        do {
            report.hostPort = try freeLoopbackPort()
        } catch {
            throw BootCheckError.toolFailed(tool: "socket", message: "no free port on 127.0.0.1: \(error)")
        }
    }

    /// The image's format, told by content (QcowIO).
    static func format(of image: URL) throws -> ImageFormat {
        guard FileManager.default.fileExists(atPath: image.path) else {
            throw BootCheckError.imageUnreadable(path: image.path, cause: "no such file")
        }
        do {
            return try ImageFormat.detect(at: image)
        } catch {
            throw BootCheckError.imageUnreadable(path: image.path, cause: String(describing: error))
        }
    }

    private func boot(overlay: URL, seed: URL, tag: String) async throws -> QemuMachine {
        let machine = try QemuMachine.start(
            overlay: overlay, seed: seed, accelerator: accelerator.accelerator, options: options,
            hostPort: report.hostPort, directory: directory, tag: tag)
        machines.append(machine)
        let start = clock.now
        while true {
            try Task.checkCancellation()
            if let status = machine.process.exitStatus {
                throw BootCheckError.bootFailed(
                    reason: "qemu exited with status \(status) before the database answered: \(machine.qemuMessages())",
                    consoleTail: machine.console.tail())
            }
            if let marker = machine.console.fatalMarker() {
                throw BootCheckError.bootFailed(
                    reason: "the \(tag) boot failed: the serial console shows \"\(marker)\"",
                    consoleTail: machine.console.tail())
            }
            if await probe.answers(loopbackPort: report.hostPort) { return machine }
            if clock.now - start > bootTimeout {
                throw BootCheckError.bootFailed(
                    reason: "the \(options.database.kind.rawValue) server did not answer on "
                        + "127.0.0.1:\(report.hostPort) "
                        + "(guest port \(options.database.port)) within \(bootTimeout.components.seconds) s of the "
                        + "\(tag) boot; check that the image starts it on that port (see the console below)",
                    consoleTail: machine.console.tail())
            }
            try await Task.sleep(for: .seconds(2))
        }
    }

    private func checkDatabase(on machine: QemuMachine) async throws {
        do {
            let passed = try await probe.checkAuthentication(
                loopbackPort: report.hostPort, settings: options.database)
            for name in passed {
                report.checks.append(name)
                progress(.passed(name))
            }
        } catch {
            throw BootCheckError.checkFailed(
                check: error.check, reason: error.reason, consoleTail: machine.console.tail())
        }
    }

    /// The first boot's console must say the instance was configured; the second's that it already was, and
    /// not that it was configured again. The line may trail the database's start, so wait a little for it.
    private func checkFirstBoot(on machine: QemuMachine, secondBoot: Bool) async throws {
        let id = report.instanceID
        let configured = "dibkit-firstboot: configured instance"
        let expected = secondBoot ? "dibkit-firstboot: instance \(id) already configured" : "\(configured) \(id)"
        let name = secondBoot ? "first-boot step did not run again" : "first-boot step configured the instance"
        let start = clock.now
        while !machine.console.text().contains(expected) {
            guard clock.now - start < .seconds(60) else {
                throw BootCheckError.checkFailed(
                    check: name, reason: "the serial console never showed \"\(expected)\"",
                    consoleTail: machine.console.tail())
            }
            try await Task.sleep(for: .seconds(1))
        }
        if secondBoot && machine.console.text().contains(configured) {
            throw BootCheckError.checkFailed(
                check: name, reason: "the second boot's console shows \"\(configured)\": it configured again",
                consoleTail: machine.console.tail())
        }
        report.checks.append(name)
        progress(.passed(name))
    }

    /// No unit may have failed to start so far: a failed unit (a network that never came up, a timer's
    /// service) is a defect of the image even when the database answers.
    private func checkUnits(on machine: QemuMachine) throws {
        let name = "no unit failed to start"
        let failed = machine.console.failedUnits()
        guard failed.isEmpty else {
            throw BootCheckError.checkFailed(
                check: name, reason: "systemd failed to start \(failed.joined(separator: ", ")) (see the console below)",
                consoleTail: machine.console.tail())
        }
        if !report.checks.contains(name) { report.checks.append(name) }
        progress(.passed(name))
    }

    private func powerDown(_ machine: QemuMachine) async throws {
        do {
            try await machine.requestPowerDown()
        } catch {
            throw BootCheckError.bootFailed(
                reason: "cannot ask qemu for an ACPI power-down through QMP \(machine.qmpSocket.path): \(error)",
                consoleTail: machine.console.tail())
        }
        let limit: Duration = accelerator.accelerator == .tcg ? .seconds(180) : .seconds(60)
        guard await machine.process.wait(timeout: limit) != nil else {
            try Task.checkCancellation()
            await machine.process.stop()
            throw BootCheckError.bootFailed(
                reason: "the guest did not power off within \(limit.components.seconds) s of the ACPI power button "
                    + "(is systemd-logind or acpid handling it?); qemu was killed",
                consoleTail: machine.console.tail())
        }
    }
}
