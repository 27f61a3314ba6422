import Foundation
import TestSupport
import Testing

@testable import HostProcesses


@Suite("Accelerator probe")
struct AcceleratorTests {
    @Test("the probe sector exits with status 85 under TCG", .enabled(if: hasQemu, "needs qemu-system-x86_64"))
    func probeSectorRunsUnderTCG() async {
        let outcome = await AcceleratorChoice.probe(.tcg, timeout: .seconds(20))
        #expect(outcome == .passed)
    }

    @Test("the probe disk is a bootable sector of the expected shape")
    func probeDiskLayout() {
        let disk = AcceleratorChoice.probeDisk()
        #expect(disk.count == 1 << 20)
        #expect(Array(disk.prefix(4)) == [0xB0, 0x2A, 0xE6, 0xF4])
        #expect(disk[510] == 0x55 && disk[511] == 0xAA)
    }

    /// On this machine nested KVM aborts (see FACTS.md); on a machine where KVM works the probe must say so.
    @Test("detection chooses TCG here, with a reason", .enabled(if: hasQemu, "needs qemu"))
    func detectsWithoutOverride() async throws {
        let choice = await AcceleratorChoice.detect(timeout: .seconds(5), environment: [:])
        #expect(!choice.reason.isEmpty)
        #expect(choice.summary.hasPrefix("accelerator: \(choice.accelerator.rawValue) ("))
        let kvmRuns = await AcceleratorChoice.probe(.kvm, timeout: .seconds(5)) == .passed
        #expect(choice.accelerator == (kvmRuns ? .kvm : .tcg))
        if !kvmRuns {
            #expect(choice.reason.hasPrefix("KVM probe failed: ") || choice.reason.contains("/dev/kvm"))
        }
    }

    @Test("DIBKIT_ACCEL overrides detection", arguments: Accelerator.allCases)
    func overrideWins(_ accelerator: Accelerator) async {
        let choice = await AcceleratorChoice.detect(environment: ["DIBKIT_ACCEL": accelerator.rawValue.uppercased()])
        #expect(choice == AcceleratorChoice(accelerator: accelerator, reason: "set by DIBKIT_ACCEL"))
    }

    @Test("an unknown DIBKIT_ACCEL value is ignored and named", .enabled(if: hasQemu, "needs qemu"))
    func badOverrideIsIgnored() async {
        let choice = await AcceleratorChoice.detect(environment: ["DIBKIT_ACCEL": "hvf"])
        #expect(choice.reason.hasPrefix("ignored DIBKIT_ACCEL=hvf (not kvm or tcg); "))
    }
}
