public import Foundation

/// Files in the mounted guest root; every path is absolute inside the guest.
extension GuestSession {
    /// Finds the image's root filesystem and mounts it at `/`: the first partition (or whole disk, when there
    /// is no partition table) that mounts and holds `/etc`. No OS inspection, no LVM scan and no type probe
    /// on the way (each costs seconds or fractions of one under TCG); types are read only to explain a miss.
    /// - Parameters:
    ///   - disk: look only on the session's disk number `disk` (0 first); nil: on every disk.
    ///   - mountpoint: where to mount it; anything but `/` is made in the appliance's own root first, so that
    ///     the roots of several disks can be mounted side by side (`/a`, `/b`).
    ///   - readOnly: mount it read-only (`guestfs_mount_ro`).
    /// - Returns: the device mounted, e.g. `/dev/sda1`.
    /// - Throws: `ChrootError.noRootFilesystem` listing the devices and their filesystem types.
    @discardableResult
    public func mountRoot(ofDisk disk: Int? = nil, at mountpoint: String = "/", readOnly: Bool = false) async throws
        -> String
    {
        let devices = try await call { try $0.filesystemCandidates(ofDisk: disk) }
        if mountpoint != "/" { try await call { try $0.makeMountpoint(mountpoint) } }
        let etc = mountpoint == "/" ? "/etc" : mountpoint + "/etc"
        for device in devices where (try? await call({ try $0.mount(device, at: mountpoint, readOnly: readOnly) })) != nil {
            if try await isDirectory(etc) { return device }
            try await call { try $0.unmount(mountpoint) }
        }
        var seen: [String] = []
        for device in devices {
            let type = (try? await call { try $0.filesystemType(device) }) ?? ""
            seen.append("\(device) (\(type.isEmpty ? "no filesystem" : type))")
        }
        throw ChrootError.noRootFilesystem(seen: seen)
    }

    /// Whether `path` is a directory (symlinks followed). Wraps `guestfs_is_dir`.
    public func isDirectory(_ path: String) async throws -> Bool {
        try await call { try $0.isDirectory(path) }
    }

    /// Whether anything is at `path`, a dangling symlink included.
    public func exists(_ path: String) async throws -> Bool {
        try await call { try $0.entryExists(path) }
    }

    /// Copies the host file `source` to `destination` in the guest, streaming. Wraps `guestfs_upload`.
    public func upload(_ source: URL, to destination: String) async throws {
        try await call { try $0.upload(source.path, to: destination) }
    }

    /// Copies the guest file `path` to the host file `destination`, streaming. Wraps `guestfs_download`.
    public func download(_ path: String, to destination: URL) async throws {
        try await call { try $0.download(path, to: destination.path) }
    }

    /// Writes the guest folder `folder`, everything below it, as an uncompressed tar to the host file
    /// `destination` in one call: entries named `./…`; their owner ids are the guest's, but the names a tar holds
    /// beside them are the appliance's (read the guest's own /etc/passwd for names).
    /// Wraps `guestfs_tar_out`.
    public func tarOut(_ folder: String, to destination: URL) async throws {
        try await call { try $0.tarOut(folder, to: destination.path) }
    }

    /// The whole file at `path` (at most about 4 MB). Wraps `guestfs_read_file`.
    public func readFile(_ path: String) async throws -> Data {
        try await call { try $0.readFile(path) }
    }

    /// Writes `data` to `path`, replacing it or appending to it. Wraps `guestfs_write`/`guestfs_write_append`.
    public func write(_ data: Data, to path: String, append: Bool = false) async throws {
        try await call { try $0.write(data, to: path, append: append) }
    }

    /// Makes the directory `path` with `mode`. Wraps `guestfs_mkdir_mode`.
    public func makeDirectory(_ path: String, mode: Int32) async throws {
        try await call { try $0.makeDirectory(path, mode: mode) }
    }

    /// Sets the permission bits of `path`. Wraps `guestfs_chmod`.
    public func setMode(_ mode: Int32, of path: String) async throws {
        try await call { try $0.setMode(mode, of: path) }
    }

    /// Sets the numeric owner and group of `path`. Wraps `guestfs_chown`.
    public func setOwner(user: Int32, group: Int32, of path: String) async throws {
        try await call { try $0.setOwner(user: user, group: group, of: path) }
    }

    /// Renames `path` to `newPath`. Wraps `guestfs_rename`.
    public func rename(_ path: String, to newPath: String) async throws {
        try await call { try $0.rename(path, to: newPath) }
    }

    /// Removes the file at `path` if there is one. Wraps `guestfs_rm_f`.
    public func remove(_ path: String) async throws {
        try await call { try $0.remove(path) }
    }

    /// Runs `script` in the appliance itself (not in the guest's root), e.g. to read the appliance's own
    /// `/etc/resolv.conf`. Wraps `guestfs_debug` `sh`, which libguestfs does not count as stable API.
    public func applianceShell(_ script: String) async throws -> String {
        try await call { try $0.applianceShell(script) }
    }
}
