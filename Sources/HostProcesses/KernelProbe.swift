import Foundation

/// What the KVM probe boots: the Linux kernel the libguestfs appliance boots, with an initramfs that holds
/// only `/init`, a static x86-64 program of some 200 bytes that writes `marker` to the console and powers the
/// machine off.
///
/// A boot sector is not enough: on nested KVM that half works, a one-sector guest runs while a Linux kernel
/// spins at 100 % CPU and never reaches user space (FACTS.md). Seeing `marker` on the serial console proves
/// the kernel booted to user space under the accelerator, which is what the appliance and `dibkit test` need.
enum KernelProbe {
    /// The line `/init` writes to the console.
    static let marker = "dibkit-kvm-probe: user space reached"

    /// The kernel supermin puts in the appliance: `SUPERMIN_KERNEL`, else the newest `/boot/vmlinuz-*`.
    static func kernel(environment: [String: String]) -> URL? {
        if let chosen = environment["SUPERMIN_KERNEL"], !chosen.isEmpty { return URL(fileURLWithPath: chosen) }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "/boot")) ?? []
        return names.filter { $0.hasPrefix("vmlinuz-") }
            .sorted { $0.compare($1, options: .numeric) == .orderedDescending }
            .map { URL(fileURLWithPath: "/boot").appendingPathComponent($0) }
            .first { FileManager.default.isReadableFile(atPath: $0.path) }
    }

    /// The kernel command line: the console on the first serial port; a panic (such as `/init` failing) ends
    /// the machine at once rather than after a timeout.
    static let commandLine = "console=ttyS0 panic=-1 no_timer_check"

    /// A newc (SVR4 "070701") cpio archive with `/dev`, `/dev/console` and `/init`, as the kernel unpacks it.
    static func initramfs() -> Data {
        var archive = Data()
        var inode: UInt32 = 1
        func append(_ name: String, mode: UInt32, device: (UInt32, UInt32) = (0, 0), contents: Data = Data()) {
            let path = Data(name.utf8) + [0]
            let fields: [UInt32] = [
                inode, mode, 0, 0, 1, 0, UInt32(contents.count), 0, 0, device.0, device.1, UInt32(path.count), 0,
            ]
            archive += Data(("070701" + fields.map { String(format: "%08X", $0) }.joined()).utf8)
            archive += path
            archive += Data(count: (4 - archive.count % 4) % 4)
            archive += contents
            archive += Data(count: (4 - archive.count % 4) % 4)
            inode += 1
        }
        append("dev", mode: 0o040755)
        append("dev/console", mode: 0o020600, device: (5, 1))
        append("init", mode: 0o100755, contents: initProgram())
        append("TRAILER!!!", mode: 0)
        return archive
    }

    /// `/init`: an ELF64 executable of one loadable segment (at 0x400000: header, program header, code, text):
    ///
    ///     mov eax, 1; mov edi, 1; lea rsi, [rip+text]; mov edx, len; syscall     ; write(1, text, len)
    ///     mov eax, 169; mov edi, 0xfee1dead; mov esi, 0x28121969                 ; reboot(magic, magic2,
    ///     mov edx, 0x4321fedc; syscall                                            ;        POWER_OFF)
    ///     jmp $                                                                   ; pid 1 must not exit
    static func initProgram() -> Data {
        let text = Data((marker + "\n").utf8)
        let headerSize = 64 + 56
        var code = Data([0xB8, 0x01, 0, 0, 0, 0xBF, 0x01, 0, 0, 0, 0x48, 0x8D, 0x35])
        code += littleEndian(UInt32(48 - 17))  // from the next instruction (17) to the text (48)
        code += [0xBA] + littleEndian(UInt32(text.count)) + [0x0F, 0x05]
        code += [0xB8, 0xA9, 0, 0, 0, 0xBF] + littleEndian(UInt32(0xFEE1_DEAD))
        code += [0xBE] + littleEndian(UInt32(0x2812_1969)) + [0xBA] + littleEndian(UInt32(0x4321_FEDC))
        code += [0x0F, 0x05, 0xEB, 0xFE]
        let base: UInt64 = 0x40_0000
        let size = UInt64(headerSize + code.count + text.count)
        var elf = Data([0x7F, 0x45, 0x4C, 0x46, 2, 1, 1, 0]) + Data(count: 8)  // ELF64, little-endian, v1, SysV
        elf += littleEndian(UInt16(2)) + littleEndian(UInt16(0x3E)) + littleEndian(UInt32(1))  // executable, x86-64
        elf += littleEndian(base + UInt64(headerSize)) + littleEndian(UInt64(64)) + littleEndian(UInt64(0))  // entry, phoff, shoff
        elf += littleEndian(UInt32(0)) + littleEndian(UInt16(64)) + littleEndian(UInt16(56)) + littleEndian(UInt16(1))
        elf += Data(count: 6)  // no section headers
        elf += littleEndian(UInt32(1)) + littleEndian(UInt32(5))  // PT_LOAD, readable and executable
        elf += littleEndian(UInt64(0)) + littleEndian(base) + littleEndian(base)  // offset, vaddr, paddr
        elf += littleEndian(size) + littleEndian(size) + littleEndian(UInt64(0x1000))  // filesz, memsz, align
        return elf + code + text
    }

    private static func littleEndian<T: FixedWidthInteger>(_ value: T) -> Data {
        withUnsafeBytes(of: value.littleEndian) { Data($0) }
    }
}
