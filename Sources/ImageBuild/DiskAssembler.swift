import Chroot
import DurableFiles
import Foundation
import HostProcesses

/// Turns a root tree into a bootable raw disk: an MBR with one bootable partition from 1 MiB to the end,
/// ext4 populated straight from the tree (`mkfs.ext4 -d`, no loop device or mount), then GRUB for BIOS
/// installed from inside the disk through libguestfs.
struct DiskAssembler {
    static let partitionOffset: UInt64 = 1 << 20
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
    let log: BuildLog

    /// Writes the partition table and the populated filesystem.
    func writeFilesystem(workDirectory: URL) async throws {
        try FileWriter(path: disk.path).close()
        guard truncate(disk.path, off_t(size)) == 0 else { throw FileWriteError(path: disk.path, call: "truncate", errno: .current) }
        let table = "label: dos\nunit: sectors\n\(Self.partitionOffset / 512),,83,*\n"
        try await CommandRunner.run(
            ["sfdisk", "--quiet", "--no-reread", "--no-tell-kernel", disk.path], label: "sfdisk",
            input: Data(table.utf8), log: log.append)
        let config = workDirectory.appendingPathComponent("mke2fs.conf")
        try FileWriter.write(Data(Self.mke2fsConfig.utf8), to: config)
        var environment = ProcessInfo.processInfo.environment
        environment["MKE2FS_CONFIG"] = config.path
        let kibibytes = (size - Self.partitionOffset) / 1024
        try await CommandRunner.run(
            ["mkfs.ext4", "-q", "-F", "-t", "ext4", "-L", "dibkit-root", "-U", rootUUID, "-d", root.path,
             "-E", "offset=\(Self.partitionOffset)", disk.path, "\(kibibytes)k"],
            environment: environment, label: "mkfs.ext4", log: log.append)
    }

    /// Installs GRUB into the disk's MBR, writes grub.cfg, and trims free space — inside the appliance.
    /// An appliance that dies under it (a stalled or killed qemu) gets one more try, said in `note` and
    /// logged with the end of its console: every step here can run again.
    /// The appliance runs under `accelerator`; a launch that fails under KVM is tried under TCG, said in `note`.
    func installBootloader(accelerator: Accelerator, note: (String) -> Void) async throws {
        do {
            try await bootloaderSession(accelerator: accelerator, note: note)
        } catch let error as ChrootError where error.applianceDied && !Task.isCancelled {
            log.append("\(error)")
            note("the libguestfs appliance died while installing GRUB; trying once more (details in \(log.url.path))")
            try await bootloaderSession(accelerator: accelerator, note: note)
        }
    }

    private func bootloaderSession(accelerator: Accelerator, note: (String) -> Void) async throws {
        try await GuestSession.withSession(disk: disk, format: "raw", accelerator: accelerator, note: note) { guest in
            try await guest.mount("/dev/sda1")
            // The API's /dev/sda1 is translated to the kernel's name, but a script's device names are not,
            // and the appliance's own disk can come first: find our disk by the root filesystem's UUID.
            // guestfs_sh returns standard output only on success and standard error on failure: keep both,
            // and on failure hand the end of the combined output to the error.
            try await guest.sh("""
                out=$( { part=$(blkid -U \(rootUUID)) && disk=${part%1} && [ -b "$disk" ] &&
                         grub-install --target=i386-pc "$disk" && update-grub; } 2>&1 ) || {
                    status=$?; printf 'root partition: %s\\n%s\\n' "${part:-not found}" "$out" | tail -n 40 >&2
                    exit $status; }
                """)
            try await guest.fstrim()
        }
    }
}
