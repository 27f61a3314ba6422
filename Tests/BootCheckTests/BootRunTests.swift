import HostProcesses
import Foundation
import Reporting
import TestSupport
import Testing

@testable import BootCheck

@Suite("Booting under qemu", .serialized, .enabled(if: hasQemu && hasSeedTools, "needs qemu and cloud-image-utils"))
struct BootRunTests {
    private func options(disk: Data, in directory: TemporaryFolder, timeout: Duration) throws -> BootCheckOptions {
        let image = directory.url.appendingPathComponent("disk.raw")
        try disk.write(to: image)
        var options = BootCheckOptions(image: image, database: .random(kind: .redis))
        options.bootTimeout = timeout
        options.memoryMiB = 128
        options.workParent = directory.url.appendingPathComponent("work")
        return options
    }

    private let tcg = AcceleratorChoice(accelerator: .tcg, reason: "test")

    @Test("a guest that panics fails early, with the console tail, and leaves nothing behind")
    func panicFailsEarly() async throws {
        let directory = try TemporaryFolder()
        var options = try options(disk: TestDisk.panics, in: directory, timeout: .seconds(120))
        options.keepConsole = directory.url.appendingPathComponent("kept.log")
        let error = await #expect(throws: BootCheckError.self) {
            try await runBootCheck(options, accelerator: tcg) { _ in }
        }
        #expect(error?.reason.contains("Kernel panic - not syncing") == true)
        #expect(error?.consoleTail?.contains("Kernel panic - not syncing: dibkit test sector") == true)
        let kept = try String(contentsOf: options.keepConsole!, encoding: .utf8)
        #expect(kept.contains("dibkit test sector"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: options.workParent!.path).isEmpty)
        #expect(processes(mentioning: options.workParent!.path).isEmpty)
    }

    @Test("a guest that never answers times out with a reason naming port and timeout")
    func silentTimesOut() async throws {
        let directory = try TemporaryFolder()
        let options = try options(disk: TestDisk.silent, in: directory, timeout: .seconds(8))
        let error = await #expect(throws: BootCheckError.self) {
            try await runBootCheck(options, accelerator: tcg) { _ in }
        }
        #expect(error?.reason.contains("did not answer on 127.0.0.1:") == true)
        #expect(error?.reason.contains("within 8 s") == true)
        #expect(error?.consoleTail == "")
        #expect(processes(mentioning: options.workParent!.path).isEmpty)
    }

    @Test("cancelling the task stops qemu and removes the temporary directory")
    func cancellationCleansUp() async throws {
        let directory = try TemporaryFolder()
        let options = try options(disk: TestDisk.silent, in: directory, timeout: .seconds(300))
        let booting = AsyncStream<Void>.makeStream()
        let work = Task { [tcg] in
            try await runBootCheck(options, accelerator: tcg) { event in
                if case .stepStarted("booting", _) = event { booting.continuation.yield() }
            }
        }
        for await _ in booting.stream { break }
        try await Task.sleep(for: .seconds(1))
        #expect(processes(mentioning: options.workParent!.path).count == 1)
        work.cancel()
        await #expect(throws: CancellationError.self) { try await work.value }
        #expect(processes(mentioning: options.workParent!.path).isEmpty)
        #expect(try FileManager.default.contentsOfDirectory(atPath: options.workParent!.path).isEmpty)
    }

    @Test("QMP: capabilities negotiated and an ACPI power-down accepted by a running qemu")
    func qmpPowerDown() async throws {
        let directory = try TemporaryFolder()
        let options = try options(disk: TestDisk.silent, in: directory, timeout: .seconds(60))
        let overlay = directory.url.appendingPathComponent("overlay.qcow2")
        try await ChildProcess.run(
            "qemu-img", ["create", "-f", "qcow2", "-F", "raw", "-b", options.image.path, overlay.path],
            log: directory.url.appendingPathComponent("qemu-img.log"))
        let seed = directory.url.appendingPathComponent("seed.iso")
        try await NoCloudSeed.make(
            iso: seed, userData: Data(options.database.userData.utf8), instanceID: "i-qmp", in: directory.url)
        let machine = try QemuMachine.start(
            overlay: overlay, seed: seed, accelerator: .tcg, options: options, hostPort: try freeLoopbackPort(),
            directory: directory.url, tag: "qmp")
        for _ in 0..<50 where !FileManager.default.fileExists(atPath: machine.qmpSocket.path) {
            try await Task.sleep(for: .milliseconds(100))
        }
        await #expect(throws: Never.self) { try await machine.requestPowerDown() }
        await machine.process.stop()
        #expect(machine.process.exitStatus != nil)
        #expect(try Data(contentsOf: options.image) == TestDisk.silent)
    }
}
