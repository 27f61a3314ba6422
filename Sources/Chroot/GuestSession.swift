public import Foundation
public import HostProcesses
import Synchronization

/// An image opened through the libguestfs appliance: no root, loop devices or host mounts needed.
///
/// Every libguestfs call blocks, so calls run one at a time on the session's own thread (`SessionThread`), off
/// Swift's cooperative pool. The appliance's processes are that thread's children, each in a process group of
/// its own (a terminal's Ctrl-C reaches dibkit, not them) and watched by libguestfs's recovery process (which
/// kills qemu when dibkit dies). Cancellation kills them, which makes a blocked call fail at once — the launch
/// too. A launch is bounded (`LaunchBounds`); one that fails or times out under KVM gets one more try under TCG.
public final class GuestSession: @unchecked Sendable {
    private let handle: GuestfsHandle
    private let thread = SessionThread()
    private let timedOut = Atomic(false)

    private init(handle: GuestfsHandle) { self.handle = handle }

    deinit { thread.finish() }

    /// How long the appliance may take to launch before it is killed.
    public struct LaunchBounds: Sendable {
        /// Under KVM a launch takes seconds, building the appliance on first use included: past this bound the
        /// accelerator is broken (a kernel that spins under nested KVM) and TCG gets a try.
        public var kvm: Duration
        /// Under TCG a launch takes 10–40 s, more on a busy machine.
        public var tcg: Duration

        public init(kvm: Duration = .seconds(90), tcg: Duration = .seconds(600)) {
            self.kvm = kvm
            self.tcg = tcg
        }

        func limit(under accelerator: Accelerator) -> Duration { accelerator == .kvm ? kvm : tcg }
    }

    /// A disk image for a session.
    public struct Disk: Sendable {
        /// The image file.
        public let url: URL
        /// `raw` or `qcow2` (always given: libguestfs must never guess).
        public let format: String

        public init(_ url: URL, format: String) {
            self.url = url
            self.format = format
        }
    }

    /// Opens `disk`, launches the appliance, hands the session to `body`, and always shuts it down:
    /// `withSession(disks:…)` with that one disk.
    public static func withSession<T: Sendable>(
        disk: URL, format: String, network: Bool = false, accelerator: Accelerator, readOnly: Bool = false,
        memoryMiB: Int32 = 1024, followConsole: Bool = true, launchBounds: LaunchBounds = LaunchBounds(),
        note: (String) -> Void = { _ in }, _ body: (GuestSession) async throws -> T
    ) async throws -> T {
        try await withSession(
            disks: [Disk(disk, format: format)], network: network, accelerator: accelerator, readOnly: readOnly,
            memoryMiB: memoryMiB, followConsole: followConsole, launchBounds: launchBounds, note: note, body)
    }

    /// Opens `disks` in one appliance, launches it, hands the session to `body`, and always shuts it down.
    /// - Parameters:
    ///   - disks: the images, in order: the appliance sees them as `/dev/sda`, `/dev/sdb`…
    ///   - network: give the appliance user-mode networking (for apt).
    ///   - accelerator: KVM, or TCG (software emulation) where KVM does not work. A launch that fails or passes
    ///     `launchBounds.kvm` under KVM is tried once more under TCG, said in one `note`.
    ///   - readOnly: open the disks read-only: libguestfs puts a temporary overlay over each, so that nothing,
    ///     not even an ext4 journal replay, reaches the files.
    ///   - memoryMiB: the appliance's memory; less boots a little faster, more suits big package installs.
    ///   - followConsole: keep the appliance's console (verbose mode) to explain an appliance that dies;
    ///     off, the appliance starts and answers faster under TCG, and such errors carry no console tail.
    ///   - launchBounds: how long a launch may take under each accelerator.
    ///   - note: receives the line that says a launch is tried again under TCG.
    /// - Throws: `ChrootError.guestfs` naming the failing call, `ChrootError.launchTimedOut`,
    ///   `ChrootError.cancelled`; whatever `body` throws.
    public static func withSession<T: Sendable>(
        disks: [Disk], network: Bool = false, accelerator: Accelerator, readOnly: Bool = false,
        memoryMiB: Int32 = 1024, followConsole: Bool = true, launchBounds: LaunchBounds = LaunchBounds(),
        note: (String) -> Void = { _ in }, _ body: (GuestSession) async throws -> T
    ) async throws -> T {
        let settings = ApplianceSettings(
            disks: disks, network: network, readOnly: readOnly, memoryMiB: memoryMiB, followConsole: followConsole)
        let session: GuestSession
        do {
            session = try await launch(settings, under: accelerator, within: launchBounds.limit(under: accelerator))
        } catch let error as ChrootError where accelerator == .kvm && error.isLaunchFailure {
            note("the libguestfs appliance did not start under KVM (\(error.launchFailure)); trying once more under TCG")
            session = try await launch(settings, under: .tcg, within: launchBounds.tcg)
        }
        do {
            let result = try await body(session)
            try await session.call { handle in
                if !readOnly { try handle.unmountAll() }
                try handle.shutdown()
            }
            await session.close()
            return result
        } catch {
            session.stopAppliance()
            await session.close()
            if Task.isCancelled { throw ChrootError.cancelled }
            throw error
        }
    }

    /// Closes the handle on the session's thread, after the calls queued before: libguestfs removes its temp
    /// and socket folders then. Not left to `deinit`, which a session still referenced at exit never reaches.
    private func close() async {
        await thread.run { [self] in handle.close() }
    }

    /// What the appliance is launched with.
    private struct ApplianceSettings: Sendable {
        let disks: [Disk]
        let network: Bool
        let readOnly: Bool
        let memoryMiB: Int32
        let followConsole: Bool
    }

    /// libguestfs's backend settings for `accelerator`: the ones in `LIBGUESTFS_BACKEND_SETTINGS` (which
    /// libguestfs reads when a handle is made), with `force_tcg` added for TCG and taken out for KVM, so the
    /// accelerator dibkit chose is the one the appliance gets.
    static func backendSettings(
        for accelerator: Accelerator, environment: [String: String] = ProcessInfo.processInfo.environment
    ) -> [String] {
        let given = (environment["LIBGUESTFS_BACKEND_SETTINGS"] ?? "").split(separator: ":").map(String.init)
            .filter { !$0.isEmpty && $0 != "force_tcg" }
        return accelerator == .tcg ? given + ["force_tcg"] : given
    }

    /// A new handle for `settings`, launched under `accelerator`; killed (and the error thrown) when the launch
    /// fails, passes `limit` or is cancelled. A launch that fails after `limit` counts as timed out.
    private static func launch(_ settings: ApplianceSettings, under accelerator: Accelerator, within limit: Duration)
        async throws -> GuestSession
    {
        let session = GuestSession(handle: try GuestfsHandle(followConsole: settings.followConsole))
        let started = ContinuousClock.now
        do {
            try await session.call { handle in
                try handle.setBackendSettings(backendSettings(for: accelerator))
                try handle.setResources(memoryMiB: settings.memoryMiB, cpus: 2)
                try handle.setNetwork(settings.network)
                try handle.isolateAppliance()
                for disk in settings.disks {
                    try handle.addDrive(disk.url.path, format: disk.format, readOnly: settings.readOnly)
                }
            }
            try await session.call(within: limit) { try $0.launch() }
            // A launch that ended as the bound passed may have lost its appliance to the watchdog.
            if session.timedOut.load(ordering: .relaxed) {
                throw ChrootError.launchTimedOut(accelerator: accelerator, limit: limit)
            }
            return session
        } catch {
            session.stopAppliance()
            await session.close()
            if Task.isCancelled { throw ChrootError.cancelled }
            if session.timedOut.load(ordering: .relaxed) || ContinuousClock.now - started >= limit {
                throw ChrootError.launchTimedOut(accelerator: accelerator, limit: limit)
            }
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

    /// Runs one libguestfs call on the session's thread; cancellation, or passing `limit`, kills the appliance.
    func call<T: Sendable>(
        within limit: Duration? = nil, _ work: @escaping @Sendable (GuestfsHandle) throws -> T
    ) async throws -> T {
        let watchdog = limit.map { limit in
            Task { [self] in
                try await Task.sleep(for: limit)
                timedOut.store(true, ordering: .relaxed)
                stopAppliance()
            }
        }
        defer { watchdog?.cancel() }
        return try await withTaskCancellationHandler {
            try await thread.run { [self] in
                handle.beginCall()
                return Result { try work(handle) }
            }.get()
        } onCancel: {
            stopAppliance()
        }
    }

    /// Kills the appliance's processes now, and again every 200 ms while a call runs: a launch that has not
    /// started qemu yet (building the appliance, probing qemu) starts it later.
    private func stopAppliance() {
        thread.killChildren()
        Task.detached { [thread] in
            while thread.isBusy {
                try? await Task.sleep(for: .milliseconds(200))
                thread.killChildren()
            }
        }
    }
}
