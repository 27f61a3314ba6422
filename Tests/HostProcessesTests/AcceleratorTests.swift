import Foundation
import TestSupport
import Testing

@testable import HostProcesses


/// Serialized: each test looks for the probe's qemu by its folder's name, which every probe shares.
@Suite("Accelerator probe", .serialized)
struct AcceleratorTests {
    @Test("the probe kernel reaches user space under TCG", .enabled(if: hasQemu, "needs qemu-system-x86_64"))
    func probeKernelBootsUnderTCG() async {
        let outcome = await AcceleratorChoice.probe(.tcg, timeout: .seconds(180))
        #expect(outcome == .passed)
        #expect(processes(mentioning: "dibkit-kvm-probe").isEmpty)
    }

    @Test("a kernel that does not reach user space within the bound fails the probe, naming the bound; qemu is killed",
          .enabled(if: hasQemu, "needs qemu-system-x86_64"))
    func probeIsBounded() async {
        let outcome = await AcceleratorChoice.probe(.tcg, timeout: .milliseconds(500))
        guard case .failed(let reason) = outcome else {
            Issue.record("a kernel cannot boot to user space in half a second, even under KVM")
            return
        }
        #expect(reason.contains("did not reach user space under TCG within 0.5 s"), "\(reason)")
        #expect(processes(mentioning: "dibkit-kvm-probe").isEmpty)
    }

    @Test("the probe's /init is a static x86-64 ELF executable that writes the marker; the initramfs holds it")
    func probeInitramfsLayout() {
        let program = KernelProbe.initProgram()
        #expect(Array(program.prefix(4)) == [0x7F, 0x45, 0x4C, 0x46])
        #expect(program[4] == 2 && program[5] == 1 && program[18] == 0x3E)
        #expect(program.count == 120 + 48 + KernelProbe.marker.utf8.count + 1)
        #expect(String(decoding: program.suffix(KernelProbe.marker.utf8.count + 1), as: UTF8.self) == KernelProbe.marker + "\n")
        let archive = KernelProbe.initramfs()
        #expect(archive.count % 4 == 0)
        #expect(String(decoding: archive.prefix(6), as: UTF8.self) == "070701")
        #expect(archive.range(of: program) != nil)
        for name in ["dev", "dev/console", "init", "TRAILER!!!"] {
            #expect(archive.range(of: Data(name.utf8) + [0]) != nil, "\(name)")
        }
    }

    @Test("the kernel is SUPERMIN_KERNEL when set, else the newest /boot/vmlinuz-*")
    func probeKernelChoice() {
        #expect(KernelProbe.kernel(environment: ["SUPERMIN_KERNEL": "/k"])?.path == "/k")
        let newest = (try? FileManager.default.contentsOfDirectory(atPath: "/boot"))?.filter { $0.hasPrefix("vmlinuz-") }
            .max { $0.compare($1, options: .numeric) == .orderedAscending }
        #expect(KernelProbe.kernel(environment: [:])?.lastPathComponent == newest)
    }

    /// These machines' KVM runs a one-sector guest but not a Linux kernel (FACTS.md): the libguestfs appliance
    /// spins or qemu aborts under it. Detection must boot what the real work boots and so choose TCG here.
    @Test("on this machine, where KVM cannot boot a Linux kernel, detection picks TCG and names the kernel probe",
          .enabled(if: hasQemu && kvmOpens, "needs qemu and a /dev/kvm that opens"))
    func halfWorkingKVMMeansTCG() async {
        let choice = await AcceleratorChoice.detect(environment: [:])
        #expect(choice.accelerator == .tcg)
        #expect(choice.reason.hasPrefix("KVM kernel probe failed: "), "\(choice.reason)")
    }

    @Test("DIBKIT_ACCEL overrides detection", arguments: Accelerator.allCases)
    func overrideWins(_ accelerator: Accelerator) async {
        let choice = await AcceleratorChoice.detect(environment: ["DIBKIT_ACCEL": accelerator.rawValue.uppercased()])
        #expect(choice == AcceleratorChoice(accelerator: accelerator, reason: "set by DIBKIT_ACCEL"))
    }

    @Test("libguestfs's own force_tcg means TCG without a probe; DIBKIT_ACCEL still wins")
    func libguestfsForceTCGMeansTCG() async {
        let forced = await AcceleratorChoice.detect(environment: ["LIBGUESTFS_BACKEND_SETTINGS": "gdb:force_tcg"])
        #expect(forced == AcceleratorChoice(accelerator: .tcg, reason: "set by LIBGUESTFS_BACKEND_SETTINGS=gdb:force_tcg"))
        let both = await AcceleratorChoice.detect(
            environment: ["LIBGUESTFS_BACKEND_SETTINGS": "force_tcg", "DIBKIT_ACCEL": "kvm"])
        #expect(both.accelerator == .kvm)
    }

    @Test("an unknown DIBKIT_ACCEL value is ignored and named", .enabled(if: hasQemu, "needs qemu"))
    func badOverrideIsIgnored() async {
        let choice = await AcceleratorChoice.detect(environment: ["DIBKIT_ACCEL": "hvf"])
        #expect(choice.reason.hasPrefix("ignored DIBKIT_ACCEL=hvf (not kvm or tcg); "))
    }
}

/// `/dev/kvm` exists and opens read-write.
let kvmOpens: Bool = {
    let fd = open("/dev/kvm", O_RDWR | O_CLOEXEC)
    if fd >= 0 { close(fd) }
    return fd >= 0
}()
