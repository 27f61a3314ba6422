import DurableFiles
import Foundation
import HostProcesses

/// Turns a root tree into a bootable raw disk without a loop device, a mount or a VM: the GPT of
/// `DiskLayout`, ext4 populated straight from the tree (`mkfs.ext4 -d`), then the boot loader the tree's
/// vm element made (`GrubPlacement`). Free space is never written, so nothing needs trimming.
struct DiskAssembler {
    /// ext4 features every GRUB 2.06 reads; pinned so a newer host's defaults cannot make an unbootable disk.
    /// `ext_attr` must be among them: the kernel sets it on first use, and a primary superblock that then
    /// differs from its backups makes the guest's boot-time fsck force a check and reboot.
    static let mke2fsConfig = """
        [defaults]
        \tbase_features = sparse_super,large_file,filetype,resize_inode,dir_index,ext_attr
        [fs_types]
        \text4 = {
        \t\tfeatures = has_journal,extent,huge_file,flex_bg,metadata_csum,64bit,dir_nlink,extra_isize
        \t\tinode_size = 256
        \t}

        """

    let root: URL
    let disk: URL
    let size: UInt64
    let rootUUID: String
    /// `SOURCE_DATE_EPOCH`: every time in the filesystems is this one, for a reproducible disk.
    let sourceDateEpoch: UInt64?
    let log: BuildLog

    var layout: DiskLayout { DiskLayout(diskBytes: size, rootUUID: rootUUID) }

    /// Writes the partition table and the populated root filesystem.
    func writeFilesystem(workDirectory: URL) async throws {
        try FileWriter(path: disk.path).close()
        guard truncate(disk.path, off_t(size)) == 0 else { throw FileWriteError(path: disk.path, call: "truncate", errno: .current) }
        try await CommandRunner.run(
            ["sfdisk", "--quiet", "--no-reread", "--no-tell-kernel", disk.path], label: "sfdisk",
            input: Data(layout.sfdiskScript(device: disk.path).utf8), log: log.append)
        let config = workDirectory.appendingPathComponent("mke2fs.conf")
        try FileWriter.write(Data(Self.mke2fsConfig.utf8), to: config)
        var environment = ProcessInfo.processInfo.environment
        environment["MKE2FS_CONFIG"] = config.path
        // mke2fs sorts each folder's entries in the locale's order.
        environment["LC_ALL"] = "C"
        if let sourceDateEpoch {
            environment["E2FSPROGS_FAKE_TIME"] = "\(sourceDateEpoch)"
            environment["SOURCE_DATE_EPOCH"] = "\(sourceDateEpoch)"
        }
        // The directory hash seed derived like every other identifier of the disk, never random.
        try await CommandRunner.run(
            ["mkfs.ext4", "-q", "-F", "-t", "ext4", "-L", "dibkit-root", "-U", rootUUID, "-d", root.path,
             "-E", "offset=\(layout.rootOffset),hash_seed=\(layout.hashSeed)", disk.path, "\(layout.rootSectors / 2)k"],
            environment: environment, label: "mkfs.ext4", log: log.append)
        if let sourceDateEpoch {
            try await InodeTimes.clamp(disk: disk, offset: layout.rootOffset, epoch: sourceDateEpoch, log: log)
        }
    }

    /// Puts GRUB in place for both firmwares from the images the tree holds (see `GrubPlacement`).
    func installBootloader() async throws {
        try await GrubPlacement(root: root, disk: disk, layout: layout, sourceDateEpoch: sourceDateEpoch, log: log).place()
    }
}
