internal import CGuestfs
import Foundation

/// Filesystems and files inside the appliance: paths are in the mounted guest root.
extension GuestfsHandle {
    /// Wraps `guestfs_list_partitions`, or `guestfs_list_devices` when the disks hold no partition table:
    /// where a filesystem can be, in disk order. (`guestfs_list_filesystems` also probes LVM and RAID,
    /// which takes seconds under TCG.)
    /// - Parameter disk: only the partitions of the session's disk number `disk` (0 first), or that whole
    ///   disk when it has none; nil: every disk's.
    func filesystemCandidates(ofDisk disk: Int? = nil) throws -> [String] {
        let partitions = try strings(guestfs.list_partitions(handle), "guestfs_list_partitions")
        guard let disk else {
            return partitions.isEmpty ? try strings(guestfs.list_devices(handle), "guestfs_list_devices") : partitions
        }
        let disks = try strings(guestfs.list_devices(handle), "guestfs_list_devices")
        guard disks.indices.contains(disk) else { return [] }
        // A partition is named after its disk and a number: /dev/sdb1 is /dev/sdb's.
        let device = disks[disk]
        let own = partitions.filter { $0.hasPrefix(device) && Int($0.dropFirst(device.count)) != nil }
        return own.isEmpty ? [device] : own
    }

    /// Wraps `guestfs_vfs_type`: the filesystem type on `device` (`ext4`, `swap`…), empty when none.
    func filesystemType(_ device: String) throws -> String {
        guard let type = guestfs.vfs_type(handle, device) else { throw lastError("guestfs_vfs_type") }
        defer { free(type) }
        return String(cString: type)
    }

    /// Wraps `guestfs_is_dir` (follows symlinks).
    func isDirectory(_ path: String) throws -> Bool {
        try check(guestfs.is_dir(handle, path), "guestfs_is_dir") == 1
    }

    /// Wraps `guestfs_exists` and `guestfs_is_symlink`: true also for a dangling symlink.
    func entryExists(_ path: String) throws -> Bool {
        try check(guestfs.exists(handle, path), "guestfs_exists") == 1
            || check(guestfs.is_symlink(handle, path), "guestfs_is_symlink") == 1
    }

    /// Wraps `guestfs_upload`: copies the host file `source` to `destination`, streaming.
    func upload(_ source: String, to destination: String) throws {
        try check(guestfs.upload(handle, source, destination), "guestfs_upload")
    }

    /// Wraps `guestfs_download`: copies the guest file `source` to the host file `destination`, streaming.
    func download(_ source: String, to destination: String) throws {
        try check(guestfs.download(handle, source, destination), "guestfs_download")
    }

    /// Wraps `guestfs_tar_out`: writes the guest folder `folder` as an uncompressed tar to the host file
    /// `destination`, streaming; entries are named `./…`, owner ids the guest's (owner names the appliance's).
    func tarOut(_ folder: String, to destination: String) throws {
        try check(guestfs.tar_out(handle, folder, destination), "guestfs_tar_out")
    }

    /// Wraps `guestfs_read_file`: the whole file (libguestfs caps this near 4 MB).
    func readFile(_ path: String) throws -> Data {
        var size = 0
        guard let bytes = guestfs.read_file(handle, path, &size) else { throw lastError("guestfs_read_file") }
        defer { free(bytes) }
        return Data(bytes: bytes, count: size)
    }

    /// Wraps `guestfs_write` (replace) or `guestfs_write_append`.
    func write(_ data: Data, to path: String, append: Bool) throws {
        let bytes = data.map { CChar(bitPattern: $0) } + [0]
        if append {
            try check(guestfs.write_append(handle, path, bytes, data.count), "guestfs_write_append")
        } else {
            try check(guestfs.write(handle, path, bytes, data.count), "guestfs_write")
        }
    }

    /// Wraps `guestfs_mkdir_mode`.
    func makeDirectory(_ path: String, mode: Int32) throws {
        try check(guestfs.mkdir_mode(handle, path, mode), "guestfs_mkdir_mode")
    }

    /// Wraps `guestfs_chmod`.
    func setMode(_ mode: Int32, of path: String) throws {
        try check(guestfs.chmod(handle, mode, path), "guestfs_chmod")
    }

    /// Wraps `guestfs_chown` (numeric ids, as the guest knows them).
    func setOwner(user: Int32, group: Int32, of path: String) throws {
        try check(guestfs.chown(handle, user, group, path), "guestfs_chown")
    }

    /// Wraps `guestfs_rename`.
    func rename(_ path: String, to newPath: String) throws {
        try check(guestfs.rename(handle, path, newPath), "guestfs_rename")
    }

    /// Wraps `guestfs_rm_f`.
    func remove(_ path: String) throws { try check(guestfs.rm_f(handle, path), "guestfs_rm_f") }

    /// Wraps `guestfs_debug` with `sh`: runs `script` in the appliance itself, outside the guest's root.
    func applianceShell(_ script: String) throws -> String {
        let output = withCStringArray([script]) { guestfs.debug(handle, "sh", $0) }
        guard let output else { throw lastError("guestfs_debug") }
        defer { free(output) }
        return String(cString: output)
    }

    /// Copies and frees a NULL-terminated `char **` result.
    private func strings(_ list: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?, _ call: String) throws -> [String] {
        guard let list else { throw lastError(call) }
        defer { free(list) }
        var result: [String] = []
        var index = 0
        while let item = list[index] {
            result.append(String(cString: item))
            free(item)
            index += 1
        }
        return result
    }
}
