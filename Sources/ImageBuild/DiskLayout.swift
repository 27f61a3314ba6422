import Crypto
import Foundation

/// The partition table of every image, as Debian's cloud images lay it out: GPT with the root filesystem as
/// partition 1 at the end (so growpart can grow it into a larger disk), GRUB's BIOS boot partition as 14 and
/// the EFI system partition as 15 in front of it. One disk boots under SeaBIOS (boot.img in the protective
/// MBR, core.img in partition 14) and under UEFI (`/EFI/BOOT/BOOTX64.EFI`, the removable path, on 15).
/// Every GUID derives from the root filesystem's UUID, so the same root UUID gives the same table.
struct DiskLayout {
    static let sectorSize: UInt64 = 512
    static let biosBootStart: UInt64 = 2048
    static let biosBootSectors: UInt64 = 2048
    static let espStart: UInt64 = 4096
    static let espSectors: UInt64 = (62 << 20) / 512
    static let rootStart: UInt64 = (64 << 20) / 512
    /// The backup GPT at the disk's end: header and 32 sectors of entries.
    static let backupTableSectors: UInt64 = 33

    static let linuxFilesystemType = "0FC63DAF-8483-4772-8E79-3D69D8477DE4"
    static let biosBootType = "21686148-6449-6E6F-744E-656564454649"
    static let espType = "C12A7328-F81F-11D2-BA4B-00A0C93EC93B"

    let diskBytes: UInt64
    let rootUUID: String

    /// The disk's size in whole sectors.
    var diskSectors: UInt64 { diskBytes / Self.sectorSize }
    /// The root partition runs to the last sector before the backup GPT.
    var rootSectors: UInt64 { diskSectors - Self.backupTableSectors - Self.rootStart }
    var rootOffset: UInt64 { Self.rootStart * Self.sectorSize }
    var espOffset: UInt64 { Self.espStart * Self.sectorSize }
    var biosBootOffset: UInt64 { Self.biosBootStart * Self.sectorSize }
    /// The EFI system partition's FAT volume id: eight hex digits.
    var espVolumeID: String {
        Self.derivedBytes(from: rootUUID, role: "esp-volume").prefix(4).map { String(format: "%02x", $0) }.joined()
    }

    /// The table as an sfdisk script; partition numbers come from the device names (`disk1`, `disk14`, `disk15`).
    func sfdiskScript(device: String) -> String {
        """
        label: gpt
        unit: sectors
        label-id: \(Self.derivedUUID(from: rootUUID, role: "disk"))
        \(device)1 : start=\(Self.rootStart), size=\(rootSectors), type=\(Self.linuxFilesystemType), uuid=\(Self.derivedUUID(from: rootUUID, role: "root")), name="root"
        \(device)14 : start=\(Self.biosBootStart), size=\(Self.biosBootSectors), type=\(Self.biosBootType), uuid=\(Self.derivedUUID(from: rootUUID, role: "bios")), name="bios"
        \(device)15 : start=\(Self.espStart), size=\(Self.espSectors), type=\(Self.espType), uuid=\(Self.derivedUUID(from: rootUUID, role: "esp")), name="esp"

        """
    }

    /// The root filesystem's directory hash seed.
    var hashSeed: String { Self.derivedUUID(from: rootUUID, role: "ext4-hash-seed") }

    /// A GUID named by `role` under `seed`: SHA-256 of both, shaped as a version 5 (name-based) UUID.
    static func derivedUUID(from seed: String, role: String) -> String {
        var bytes = Array(derivedBytes(from: seed, role: role).prefix(16))
        bytes[6] = (bytes[6] & 0x0F) | 0x50
        bytes[8] = (bytes[8] & 0x3F) | 0x80
        let hex = bytes.map { String(format: "%02x", $0) }.joined()
        let parts = [hex.prefix(8), hex.dropFirst(8).prefix(4), hex.dropFirst(12).prefix(4), hex.dropFirst(16).prefix(4), hex.dropFirst(20)]
        return parts.joined(separator: "-")
    }

    private static func derivedBytes(from seed: String, role: String) -> [UInt8] {
        Array(SHA256.hash(data: Data("dibkit \(role) \(seed.lowercased())".utf8)))
    }
}
