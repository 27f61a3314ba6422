public import Foundation

/// An image opened through the libguestfs appliance: no root, loop devices or host mounts needed.
///
/// Every libguestfs call blocks, so calls run one at a time on a private serial queue, off Swift's
/// cooperative pool. Cancellation kills the appliance, which makes the blocked call fail at once.
public final class GuestSession: @unchecked Sendable {
    private let handle: GuestfsHandle
    private let queue = DispatchQueue(label: "dibkit.guestfs")
    private let pidLock = NSLock()
    private var appliancePID: pid_t?

    private init(handle: GuestfsHandle) { self.handle = handle }

    /// Opens `disk`, launches the appliance, hands the session to `body`, and always shuts it down.
    /// - Parameters:
    ///   - disk: the image file.
    ///   - format: `raw` or `qcow2` (always given: libguestfs must never guess).
    ///   - network: give the appliance user-mode networking (for apt).
    ///   - forceTCG: software emulation, for machines where KVM does not work.
    ///   - readOnly: open the disk read-only.
    ///   - memoryMiB: the appliance's memory; less boots a little faster, more suits big package installs.
    /// - Throws: `ChrootError.guestfs` naming the failing call; whatever `body` throws.
    public static func withSession<T: Sendable>(
        disk: URL, format: String, network: Bool = false, forceTCG: Bool, readOnly: Bool = false,
        memoryMiB: Int32 = 1024, _ body: (GuestSession) async throws -> T
    ) async throws -> T {
        let session = GuestSession(handle: try GuestfsHandle())
        try await session.call {
            if forceTCG { try $0.setBackendSettings(["force_tcg"]) }
            try $0.setResources(memoryMiB: memoryMiB, cpus: 2)
            try $0.setNetwork(network)
            try $0.addDrive(disk.path, format: format, readOnly: readOnly)
        }
        do {
            try await session.call { handle in
                try handle.launch()
                session.pidLock.withLock { session.appliancePID = handle.appliancePID() }
            }
            let result = try await body(session)
            try await session.call { handle in
                if !readOnly { try handle.unmountAll() }
                try handle.shutdown()
            }
            return result
        } catch {
            session.killAppliance()
            if Task.isCancelled { throw ChrootError.cancelled }
            throw error
        }
    }

    /// Mounts `device` (e.g. `/dev/sda1`) at `mountpoint` inside the appliance.
    public func mount(_ device: String, at mountpoint: String = "/") async throws {
        try await call { try $0.mount(device, at: mountpoint) }
    }

    /// Runs `script` with `/bin/sh` chrooted into the mounted root (with /dev, /proc, /sys bound).
    /// - Returns: its standard output. A non-zero exit throws, carrying standard error.
    @discardableResult
    public func sh(_ script: String) async throws -> String {
        try await call { try $0.sh(script) }
    }

    /// Discards unused blocks of the filesystem mounted at `mountpoint`, so the image stays small.
    public func fstrim(_ mountpoint: String = "/") async throws {
        try await call { try $0.fstrim(mountpoint) }
    }

    /// Runs one libguestfs call on the session's queue; cancellation kills the appliance.
    func call<T: Sendable>(_ work: @escaping @Sendable (GuestfsHandle) throws -> T) async throws -> T {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                queue.async {
                    self.handle.beginCall()
                    continuation.resume(with: Result { try work(self.handle) })
                }
            }
        } onCancel: {
            killAppliance()
        }
    }

    private func killAppliance() {
        pidLock.withLock {
            if let pid = appliancePID { kill(pid, SIGKILL) }
            appliancePID = nil
        }
    }
}
