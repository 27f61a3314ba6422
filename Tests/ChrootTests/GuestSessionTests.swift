import Chroot
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
        let forceTCG = await AcceleratorChoice.detect().accelerator == .tcg
        let output = try await GuestSession.withSession(disk: disk, format: "raw", forceTCG: forceTCG) { guest in
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
        let forceTCG = await AcceleratorChoice.detect().accelerator == .tcg
        let task = Task {
            try await GuestSession.withSession(disk: disk, format: "raw", forceTCG: forceTCG) { guest in
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
        try await Task.sleep(for: .seconds(forceTCG ? 45 : 10))
        #expect(try appliances(using: disk) == 1, "the appliance must be running the long command")
        task.cancel()
        await #expect(throws: ChrootError.cancelled) { try await task.value }
        try await Task.sleep(for: .seconds(2))
        #expect(try appliances(using: disk) == 0)
    }

    @Test("an appliance that dies under a call is named as such, with the end of its console")
    func deadAppliance() async throws {
        let folder = try TemporaryFolder()
        let disk = try makeDisk(in: folder.url)
        let forceTCG = await AcceleratorChoice.detect().accelerator == .tcg
        let error = await #expect(throws: ChrootError.self) {
            try await GuestSession.withSession(disk: disk, format: "raw", forceTCG: forceTCG) { guest in
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
