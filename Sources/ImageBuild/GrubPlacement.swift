import Foundation
import HostProcesses

/// Writes GRUB onto a disk from the host, as `grub-install` would from inside: the vm element's finalise hook
/// made the core images in the tree (`/boot/grub/i386-pc/{boot,core}.img`, `/boot/grub/x86_64-efi/core.efi`);
/// this puts boot.img's code in the protective MBR pointing at core.img in the BIOS boot partition, and
/// core.efi at `/EFI/BOOT/BOOTX64.EFI` on a new FAT32 EFI system partition (mkfs.fat and mtools on the disk
/// file at the partition's offset).
struct GrubPlacement {
    /// Where boot.img keeps the first sector of core.img (a 64-bit LBA), as in GRUB's `boot.S`.
    static let kernelSectorOffset = 0x5C
    /// boot.img's boot drive byte: 0xff means the drive the BIOS booted from.
    static let bootDriveOffset = 0x64
    /// Two bytes grub-setup turns into NOPs on hard disks, for BIOSes that pass a wrong boot drive.
    static let driveCheckOffset = 0x66
    /// boot.img's code ends where the MBR's disk signature and partition table begin; those stay the disk's.
    static let bootCodeBytes = 0x1B8
    /// The first block list of core.img's first sector (diskboot.img): its start LBA, at the sector's end.
    static let blockListStartOffset = 512 - 12

    let root: URL
    let disk: URL
    let layout: DiskLayout
    /// The time mtools gives what it writes (its `SOURCE_DATE_EPOCH`); nil: now.
    let sourceDateEpoch: UInt64?
    let log: BuildLog

    /// Places both boot paths; fails naming the file the tree lacks.
    func place() async throws {
        let efiImage = try file("boot/grub/x86_64-efi/core.efi")
        try placeBIOS(
            bootImage: try Data(contentsOf: try file("boot/grub/i386-pc/boot.img")),
            coreImage: try Data(contentsOf: try file("boot/grub/i386-pc/core.img")))
        try await writeSystemPartition(bootloader: efiImage)
    }

    /// The tree's file at `path`, which must exist.
    private func file(_ path: String) throws -> URL {
        let url = root.appendingPathComponent(path)
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw BuildError.stepFailed(
                step: "bootloader",
                reason: "the image's root has no /\(path): the vm element's finalise hook makes GRUB's images; is vm among the elements?")
        }
        return url
    }

    private func placeBIOS(bootImage: Data, coreImage: Data) throws {
        let sector = Int(DiskLayout.sectorSize)
        let coreSectors = (coreImage.count + sector - 1) / sector
        guard bootImage.count == sector, coreImage.count >= sector, UInt64(coreSectors) <= DiskLayout.biosBootSectors else {
            throw BuildError.stepFailed(
                step: "bootloader",
                reason: "GRUB's boot.img (\(bootImage.count) bytes) or core.img (\(coreImage.count) bytes) does not fit the "
                    + "MBR and the \(DiskLayout.biosBootSectors / 2) KiB BIOS boot partition")
        }
        let handle = try FileHandle(forUpdating: disk)
        defer { try? handle.close() }
        try handle.seek(toOffset: 0)
        var mbr = try handle.read(upToCount: sector) ?? Data()
        guard mbr.count == sector else { throw BuildError.stepFailed(step: "bootloader", reason: "\(disk.path) has no MBR to write into") }
        mbr.replaceSubrange(0..<Self.bootCodeBytes, with: bootImage.prefix(Self.bootCodeBytes))
        mbr.replaceSubrange(Self.kernelSectorOffset..<Self.kernelSectorOffset + 8, with: littleEndian(DiskLayout.biosBootStart))
        mbr[Self.bootDriveOffset] = 0xFF
        mbr.replaceSubrange(Self.driveCheckOffset..<Self.driveCheckOffset + 2, with: [0x90, 0x90])
        var core = coreImage
        core.replaceSubrange(
            Self.blockListStartOffset..<Self.blockListStartOffset + 8, with: littleEndian(DiskLayout.biosBootStart + 1))
        try handle.seek(toOffset: 0)
        try handle.write(contentsOf: mbr)
        try handle.seek(toOffset: layout.biosBootOffset)
        try handle.write(contentsOf: core)
        log.append("bootloader: boot.img in the MBR, core.img (\(coreSectors) sectors) at sector \(DiskLayout.biosBootStart)")
    }

    private func writeSystemPartition(bootloader: URL) async throws {
        var environment = ProcessInfo.processInfo.environment
        environment["MTOOLS_SKIP_CHECK"] = "1"
        environment["SOURCE_DATE_EPOCH"] = sourceDateEpoch.map { "\($0)" }
        let volume = "\(disk.path)@@\(layout.espOffset)"
        // --invariant: no creation time in the volume label's entry (the volume id is -i's, from the root UUID).
        try await CommandRunner.run(
            ["mkfs.fat", "--invariant", "--offset", "\(DiskLayout.espStart)", "-F", "32", "-s", "1", "-n", "EFI", "-i", layout.espVolumeID,
             disk.path, "\(DiskLayout.espSectors / 2)"],
            environment: environment, label: "mkfs.fat", log: log.append)
        try await CommandRunner.run(
            ["mmd", "-i", volume, "::/EFI", "::/EFI/BOOT"], environment: environment, label: "mmd", log: log.append)
        try await CommandRunner.run(
            ["mcopy", "-m", "-i", volume, bootloader.path, "::/EFI/BOOT/BOOTX64.EFI"],
            environment: environment, label: "mcopy", log: log.append)
    }

    private func littleEndian(_ value: UInt64) -> Data {
        withUnsafeBytes(of: value.littleEndian) { Data($0) }
    }
}
