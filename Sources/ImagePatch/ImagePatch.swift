import Chroot
public import Foundation
public import QcowIO
public import HostProcesses
public import Reporting

/// What `dibkit patch` did.
public struct PatchReport: Sendable, Codable, Equatable {
    /// The patched image.
    public var image: String
    /// Its format, told by content.
    public var format: ImageFormat
    /// The device that held the root filesystem, e.g. `/dev/sda1`.
    public var rootDevice: String
    /// Each step (and the work around them) with its seconds, in order.
    public var timings: [Timing]
    /// The image's bytes on disk before the patch.
    public var sizeBefore: UInt64
    /// The image's bytes on disk after it (changed clusters are stored uncompressed).
    public var sizeAfter: UInt64

    /// One timed piece of work.
    public struct Timing: Sendable, Codable, Equatable {
        /// What was done, e.g. `launch` or `step 1/2: -s true`.
        public var name: String
        /// How long it took.
        public var seconds: Double
    }
}

/// Options that are not steps.
public struct PatchOptions: Sendable {
    /// Give the appliance user-mode networking for every step. An `install` step always gets it; without
    /// one, the network is off by default: bringing it up costs the appliance seconds under TCG.
    public var network = false
    /// The appliance's memory.
    public var memoryMiB: Int32 = 768
    /// Keep the appliance's console to explain an appliance that dies (slower: see docs/design.md).
    public var followConsole = false

    /// The defaults: network only for `install`, 768 MiB, no console.
    public init() {}
}

/// Changes `image` in place, offline, through the libguestfs appliance, all or nothing.
///
/// The appliance works on a qcow2 overlay backed by the image, which it never writes. While the appliance
/// starts, the image is copied beside itself (reflinked where the filesystem can). When every step has
/// passed, the overlay is committed into the copy and the copy renamed over the image, one atomic rename.
/// On any failure or cancellation the overlay and the copy are removed and the image's bytes are the
/// ones it had: even a commit cut short only ever touched the copy.
/// - Parameters:
///   - image: a qcow2 or raw image (told by content).
///   - steps: what to do, in order.
///   - accelerator: how the appliance runs (KVM or TCG); nil: detected, and said in a note.
///   - progress: receives step events.
/// - Returns: what was done, with timings.
/// - Throws: `PatchError` (a failed step names its command, exit status and output tail), `ChrootError`.
public func patch(
    _ image: URL, steps: [PatchStep], options: PatchOptions = PatchOptions(), accelerator: AcceleratorChoice? = nil,
    progress: @escaping ProgressHandler
) async throws -> PatchReport {
    guard !steps.isEmpty else { throw PatchError.nothingToDo }
    let image = image.standardizedFileURL.resolvingSymlinksInPath()  // a link: its target is patched
    let format: ImageFormat
    do { format = try ImageFormat.detect(at: image) } catch {
        throw PatchError.badImage(path: image.path, reason: "\(error)")
    }
    let folder = image.deletingLastPathComponent()
    guard access(folder.path, W_OK) == 0, access(image.path, W_OK) == 0 else {
        throw PatchError.badImage(path: image.path, reason: "it or its folder is not writable (the patched image replaces it by rename)")
    }
    let accelerator = if let accelerator { accelerator } else { await AcceleratorChoice.detect(reportingTo: progress) }
    try Task.checkCancellation()
    let sizeBefore = try allocatedSize(image)
    let network = options.network || steps.contains { if case .install = $0 { true } else { false } }
    let work = PatchFiles(image: image)
    let timer = StepTimer(progress: progress)
    do {
        try await timer.time("overlay") { try await work.createOverlay(format: format) }
        let rootDevice = try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await work.copyImage() }
            let launch = timer.start("launch")
            let device = try await GuestSession.withSession(
                disk: work.overlay, format: "qcow2", network: network,
                accelerator: accelerator.accelerator, memoryMiB: options.memoryMiB,
                followConsole: options.followConsole, note: { progress(.note($0)) }
            ) { guest in
                timer.finish("launch", startedAt: launch)
                let device = try await timer.time("mount root") { try await guest.mountRoot() }
                try await GuestPatcher(guest: guest, steps: steps, network: network).runAll(timer: timer)
                return device
            }
            try await group.waitForAll()
            return device
        }
        try await timer.time("commit") { try await work.commit(format: format) }
        work.removeAll()
        return PatchReport(
            image: image.path, format: format, rootDevice: rootDevice,
            timings: timer.timings.map { .init(name: $0.name, seconds: $0.seconds) },
            sizeBefore: sizeBefore, sizeAfter: try allocatedSize(image))
    } catch {
        work.removeAll()
        if Task.isCancelled { throw ChrootError.cancelled }
        throw error
    }
}

/// Bytes a file occupies on disk.
private func allocatedSize(_ url: URL) throws -> UInt64 {
    try QcowIO.info(of: url).actualSize
}
