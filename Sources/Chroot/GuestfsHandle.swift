internal import CGuestfs
import Foundation

/// Owns one libguestfs handle (`guestfs_h *`). Not thread-safe: `GuestSession` makes every call on its thread.
final class GuestfsHandle {
    let handle: OpaquePointer
    /// libguestfs's functions, called as `guestfs.launch(handle)`.
    let guestfs: cguestfs_api
    private let messages = GuestfsMessages()

    /// Wraps `guestfs_create`. Errors are collected per call (see `beginCall`), never printed by libguestfs.
    /// - Parameter followConsole: verbose mode, and the appliance's console followed, so that a dead
    ///   appliance can be explained; it costs seconds under TCG (the console is an emulated serial port).
    /// - Throws: `ChrootError.toolMissing` when libguestfs is not installed.
    init(followConsole: Bool = true) throws {
        guestfs = try GuestfsLibrary.functions()
        guard let handle = guestfs.create() else {
            throw ChrootError.guestfs(call: "guestfs_create", message: "could not create a handle (out of memory?)")
        }
        self.handle = handle
        guestfs.set_error_handler(handle, nil, nil)
        _ = guestfs.set_verbose(handle, followConsole ? 1 : 0)
        messages.followConsole(of: handle, guestfs)
    }

    private var closed = false

    deinit { close() }

    /// Wraps `guestfs_close`: stops what is left of the appliance and removes the handle's folders (its temp
    /// folder with the read-only overlays, its socket folder). Once; nothing may be called after it.
    func close() {
        guard !closed else { return }
        closed = true
        guestfs.set_error_handler(handle, nil, nil)
        guestfs.close(handle)
    }

    /// Call before each libguestfs call, on the thread that makes it.
    func beginCall() { messages.begin(on: handle, guestfs) }

    /// Turns a C return code into a `ChrootError.guestfs` naming the call.
    @discardableResult
    func check(_ rc: Int32, _ call: String) throws -> Int32 {
        guard rc != -1 else { throw lastError(call) }
        return rc
    }

    /// The call's error messages; when the appliance went away, with the end of its console.
    func lastError(_ call: String) -> ChrootError {
        var lines = messages.errorMessages
        if lines.isEmpty { lines = [guestfs.last_error(handle).map { String(cString: $0) } ?? "unknown error"] }
        let died = lines.contains { $0.contains("appliance closed the connection") || $0.contains("killed by signal") }
        return .guestfs(call: call, message: lines.joined(separator: "; "), applianceDied: died,
                        consoleTail: died ? messages.consoleTail : [])
    }

    /// Wraps `guestfs_set_backend_settings`.
    func setBackendSettings(_ settings: [String]) throws {
        _ = try withCStringArray(settings) { try check(guestfs.set_backend_settings(handle, $0), "guestfs_set_backend_settings") }
    }

    /// Wraps `guestfs_set_network`.
    func setNetwork(_ enabled: Bool) throws {
        try check(guestfs.set_network(handle, enabled ? 1 : 0), "guestfs_set_network")
    }

    /// Wraps `guestfs_set_memsize` (MiB) and `guestfs_set_smp`.
    func setResources(memoryMiB: Int32, cpus: Int32) throws {
        try check(guestfs.set_memsize(handle, memoryMiB), "guestfs_set_memsize")
        try check(guestfs.set_smp(handle, cpus), "guestfs_set_smp")
    }

    /// Wraps `guestfs_set_pgroup` and `guestfs_set_recovery_proc`: the appliance's qemu (and the recovery process)
    /// in a process group of their own, so a terminal's Ctrl-C reaches dibkit, which kills them, and not qemu,
    /// which would ignore it; the recovery process kills qemu when dibkit dies, even by SIGKILL.
    func isolateAppliance() throws {
        try check(guestfs.set_pgroup(handle, 1), "guestfs_set_pgroup")
        try check(guestfs.set_recovery_proc(handle, 1), "guestfs_set_recovery_proc")
    }

    /// Wraps `guestfs_add_drive_opts_argv` with `format`, `readonly` and `discard=besteffort`.
    func addDrive(_ path: String, format: String, readOnly: Bool) throws {
        try format.withCString { formatPointer in
            try "besteffort".withCString { discard in
                var options = guestfs_add_drive_opts_argv()
                options.bitmask = cguestfs_add_drive_format | cguestfs_add_drive_readonly | cguestfs_add_drive_discard
                options.format = formatPointer
                options.readonly = readOnly ? 1 : 0
                options.discard = discard
                try check(guestfs.add_drive_opts_argv(handle, path, &options), "guestfs_add_drive_opts_argv")
            }
        }
    }

    /// Wraps `guestfs_launch`: starts the appliance.
    func launch() throws { try check(guestfs.launch(handle), "guestfs_launch") }

    /// Wraps `guestfs_mount`, or `guestfs_mount_ro` when `readOnly`.
    func mount(_ device: String, at mountpoint: String, readOnly: Bool = false) throws {
        if readOnly {
            try check(guestfs.mount_ro(handle, device, mountpoint), "guestfs_mount_ro")
        } else {
            try check(guestfs.mount(handle, device, mountpoint), "guestfs_mount")
        }
    }

    /// Wraps `guestfs_mkmountpoint`: a folder in the appliance's own root to mount a filesystem on, so that
    /// several filesystems can be mounted side by side rather than one on `/`.
    func makeMountpoint(_ path: String) throws {
        try check(guestfs.mkmountpoint(handle, path), "guestfs_mkmountpoint")
    }

    /// Wraps `guestfs_umount`: unmounts the filesystem on `mountpoint` alone.
    func unmount(_ mountpoint: String) throws { try check(guestfs.umount(handle, mountpoint), "guestfs_umount") }

    /// Wraps `guestfs_sh`: runs `/bin/sh -c script` in the mounted root; returns its standard output.
    func sh(_ script: String) throws -> String {
        guard let output = guestfs.sh(handle, script) else { throw lastError("guestfs_sh") }
        defer { free(output) }
        return String(cString: output)
    }

    /// Wraps `guestfs_fstrim_argv` with no options.
    func fstrim(_ mountpoint: String) throws {
        var options = guestfs_fstrim_argv()
        options.bitmask = 0
        try check(guestfs.fstrim_argv(handle, mountpoint, &options), "guestfs_fstrim")
    }

    /// Wraps `guestfs_umount_all`.
    func unmountAll() throws { try check(guestfs.umount_all(handle), "guestfs_umount_all") }

    /// Wraps `guestfs_shutdown`: syncs and stops the appliance; its result says whether writes reached disk.
    func shutdown() throws { try check(guestfs.shutdown(handle), "guestfs_shutdown") }

    func withCStringArray<T>(_ strings: [String], _ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) throws -> T) rethrows -> T {
        var pointers: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
        pointers.append(nil)
        defer { pointers.forEach { free($0) } }
        return try pointers.withUnsafeBufferPointer { try body($0.baseAddress!) }
    }
}
