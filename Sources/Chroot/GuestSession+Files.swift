public import Foundation

/// Files in the mounted guest root; every path is absolute inside the guest.
extension GuestSession {
    /// Filesystem types a Linux root can be on.
    static let rootFilesystemTypes: Set<String> = ["ext2", "ext3", "ext4", "xfs", "btrfs"]

    /// Finds the image's root filesystem and mounts it at `/`: the first partition (or whole disk, when there
    /// is no partition table) with an ext2/3/4, xfs or btrfs filesystem that mounts and holds `/etc`.
    /// No OS inspection and no LVM scan: both cost seconds under TCG.
    /// - Returns: the device mounted, e.g. `/dev/sda1`.
    /// - Throws: `ChrootError.noRootFilesystem` listing what the image holds.
    @discardableResult
    public func mountRoot() async throws -> String {
        var seen: [String] = []
        for device in try await call({ try $0.filesystemCandidates() }) {
            let type = try await call { try $0.filesystemType(device) }
            seen.append("\(device) (\(type.isEmpty ? "no filesystem" : type))")
            guard Self.rootFilesystemTypes.contains(type), (try? await mount(device)) != nil else { continue }
            if try await isDirectory("/etc") { return device }
            try await call { try $0.unmountAll() }
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
