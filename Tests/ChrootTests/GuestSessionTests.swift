@testable import Chroot
import Foundation
import TestSupport
import Testing
import HostProcesses

@Suite("GuestSession: an image's root through the libguestfs appliance")
struct GuestSessionTests {
    /// A 64 MiB raw ext4 disk (no partition table) holding a minimal root.
    func makeDisk(in folder: URL) throws -> URL {
        let root = folder.appendingPathComponent("root")
        try makeMinimalRoot(at: root)
        try Data("written on the host\n".utf8).write(to: root.appendingPathComponent("hello"))
        let disk = folder.appendingPathComponent("disk.raw")
        try shell("truncate -s 64M \(disk.path) && mkfs.ext4 -q -F -d \(root.path) \(disk.path)")
        return disk
    }

    /// Appliances (qemu processes) that have `disk` open: its path is on their command line (`[q]` keeps
    /// the shell running pgrep from matching itself).
    func appliances(using disk: URL) throws -> Int {
        try shell("pgrep -fc '[q]emu-system.*\(disk.path)' || true").split(separator: "\n").compactMap { Int($0) }.first ?? 0
    }

    @Test("runs a command in the disk's root and writes through to the image")
    func runsCommands() async throws {
        let folder = try TemporaryFolder()
        let disk = try makeDisk(in: folder.url)
        let accelerator = await AcceleratorChoice.detect().accelerator
        let output = try await GuestSession.withSession(disk: disk, format: "raw", accelerator: accelerator) { guest in
            try await guest.mount("/dev/sda")
            let text = try await guest.sh("cat /hello; echo changed > /from-guest")
            try await guest.fstrim()
            return text
        }
        #expect(output == "written on the host\n")
        let check = try shell("debugfs -R 'cat /from-guest' \(disk.path) 2>/dev/null")
        #expect(check == "changed\n")
    }

    @Test("a failing command names guestfs_sh and carries its error; cancelling kills the appliance")
    func failureAndCancellation() async throws {
        let folder = try TemporaryFolder()
        let disk = try makeDisk(in: folder.url)
        let accelerator = await AcceleratorChoice.detect().accelerator
        let task = Task {
            try await GuestSession.withSession(disk: disk, format: "raw", accelerator: accelerator) { guest in
                try await guest.mount("/dev/sda")
                do {
                    try await guest.sh("echo bad news >&2; exit 4")
                    Issue.record("a failing command must throw")
                } catch let error as ChrootError {
                    #expect(error.description.contains("guestfs_sh"))
                    #expect(error.description.contains("bad news"))
                }
                try await guest.sh("sleep 600")
            }
        }
        // Give the appliance time to boot and reach the long command, then interrupt.
        try await Task.sleep(for: .seconds(accelerator == .tcg ? 45 : 10))
        #expect(try appliances(using: disk) == 1, "the appliance must be running the long command")
        task.cancel()
        await #expect(throws: ChrootError.cancelled) { try await task.value }
        try await Task.sleep(for: .seconds(2))
        #expect(try appliances(using: disk) == 0)
    }

    @Test("cancelling while the appliance launches stops it at once: the task ends within 5 s, no qemu is left")
    func cancelDuringLaunch() async throws {
        let folder = try TemporaryFolder()
        let disk = try makeDisk(in: folder.url)
        let task = Task {
            try await GuestSession.withSession(disk: disk, format: "raw", accelerator: .tcg) { _ in }
        }
        let deadline = ContinuousClock.now + .seconds(120)
        while try appliances(using: disk) == 0, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(100))
        }
        try #require(try appliances(using: disk) == 1, "the appliance's qemu never started")
        try await Task.sleep(for: .seconds(1))
        let cancelled = ContinuousClock.now
        task.cancel()
        await #expect(throws: ChrootError.cancelled) { try await task.value }
        let took = ContinuousClock.now - cancelled
        #expect(took < .seconds(5), "the launch went on for \(took) after cancellation")
        #expect(try appliances(using: disk) == 0)
    }

    /// Runs `cat /hello` in a session asked to use KVM within `bounds`; returns the notes it gave.
    func readUnderKVM(within bounds: GuestSession.LaunchBounds) async throws -> [String] {
        let folder = try TemporaryFolder()
        let disk = try makeDisk(in: folder.url)
        let notes = Recorder<String>()
        let output = try await GuestSession.withSession(
            disk: disk, format: "raw", accelerator: .kvm, launchBounds: bounds, note: { notes.append($0) }
        ) { guest in
            try await guest.mount("/dev/sda")
            return try await guest.sh("cat /hello")
        }
        #expect(output == "written on the host\n")
        return notes.all
    }

    /// These machines' KVM cannot run the appliance (qemu aborts, or its kernel spins: FACTS.md).
    @Test("a session asked to run under KVM where the appliance cannot still comes up, under TCG, said in one line")
    func kvmFailureFallsBackToTCG() async throws {
        let notes = try await readUnderKVM(within: GuestSession.LaunchBounds())
        #expect(notes.count == 1)
        #expect(notes.first?.hasPrefix("the libguestfs appliance did not start under KVM (") == true, "\(notes)")
        #expect(notes.first?.hasSuffix("); trying once more under TCG") == true)
    }

    @Test("the appliance gets the accelerator dibkit chose, whatever LIBGUESTFS_BACKEND_SETTINGS says; other settings kept")
    func backendSettingsFollowTheAccelerator() {
        let environment = ["LIBGUESTFS_BACKEND_SETTINGS": "force_tcg:gdb"]
        #expect(GuestSession.backendSettings(for: .kvm, environment: environment) == ["gdb"])
        #expect(GuestSession.backendSettings(for: .tcg, environment: environment) == ["gdb", "force_tcg"])
        #expect(GuestSession.backendSettings(for: .tcg, environment: [:]) == ["force_tcg"])
        #expect(GuestSession.backendSettings(for: .kvm, environment: [:]) == [])
    }

    @Test("a launch that passes its bound under KVM is killed and tried once under TCG")
    func kvmLaunchBound() async throws {
        let notes = try await readUnderKVM(within: GuestSession.LaunchBounds(kvm: .milliseconds(1)))
        #expect(notes.count == 1)
        #expect(notes.first?.contains("(it did not come up within 0.001 s); trying once more under TCG") == true, "\(notes)")
    }

    @Test("a launch that passes its bound under TCG fails naming the bound, and leaves no qemu")
    func tcgLaunchBound() async throws {
        let folder = try TemporaryFolder()
        let disk = try makeDisk(in: folder.url)
        let started = ContinuousClock.now
        let error = await #expect(throws: ChrootError.self) {
            try await GuestSession.withSession(
                disk: disk, format: "raw", accelerator: .tcg, launchBounds: .init(tcg: .seconds(3))
            ) { _ in }
        }
        #expect(error == .launchTimedOut(accelerator: .tcg, limit: .seconds(3)))
        #expect(error?.description.contains("did not come up within 3 s under TCG") == true)
        #expect(ContinuousClock.now - started < .seconds(8))
        #expect(try appliances(using: disk) == 0)
    }

    @Test("an appliance that dies under a call is named as such, with the end of its console")
    func deadAppliance() async throws {
        let folder = try TemporaryFolder()
        let disk = try makeDisk(in: folder.url)
        let accelerator = await AcceleratorChoice.detect().accelerator
        let error = await #expect(throws: ChrootError.self) {
            try await GuestSession.withSession(disk: disk, format: "raw", accelerator: accelerator) { guest in
                try await guest.mount("/dev/sda")
                try await guest.sh("echo b > /proc/sysrq-trigger; sleep 30")
            }
        }
        #expect(error?.applianceDied == true, "\(String(describing: error))")
        let message = error?.description ?? ""
        #expect(message.contains("guestfs_sh failed: the appliance died"), "\(message)")
        #expect(message.contains("the end of its console:\n  | "), "\(message)")
    }
}
