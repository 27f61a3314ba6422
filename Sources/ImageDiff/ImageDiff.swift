import Chroot
public import Foundation
public import HostProcesses
public import ImageContents
public import QcowIO
public import Reporting

/// What `dibkit diff` found.
public struct DiffReport: Sendable, Codable, Equatable {
    /// One of the two images.
    public struct Image: Sendable, Codable, Equatable {
        public var path: String
        /// Its format, told by content.
        public var format: ImageFormat
        /// The device that held its root filesystem in the appliance, e.g. `/dev/sdb1`.
        public var rootDevice: String
    }

    public var first: Image
    public var second: Image
    /// What differs from the first image to the second; empty when nothing does.
    public var differences: ImageDifference
}

/// Compares two images offline: their installed packages, files under `/etc`, enabled services and open
/// firewall ports (see `ImageSnapshot`).
///
/// Both images are opened read-only in one libguestfs appliance (one launch, the bulk of the time under TCG),
/// each root mounted read-only on its own mountpoint; the images' files are never written, not even by an
/// ext4 journal replay (libguestfs puts a throwaway overlay over each). What is read goes through a temporary
/// folder, removed on return, failure and cancellation alike.
/// - Parameters:
///   - first: a qcow2 or raw image (told by content).
///   - second: another, compared with the first.
///   - accelerator: how the appliance runs (KVM or TCG); nil: detected, and said in a note.
///   - progress: receives step events.
/// - Returns: both images' roots and the differences from the first to the second.
/// - Throws: `DiffError` for an image that cannot be read or has no root filesystem, `ChrootError`.
public func diff(
    _ first: URL, _ second: URL, accelerator: AcceleratorChoice? = nil, progress: @escaping ProgressHandler
) async throws -> DiffReport {
    let images = [first, second]
    let formats = try images.map { image in
        do { return try QcowIO.info(of: image).format } catch {
            throw DiffError.badImage(path: image.path, reason: "\(error)")
        }
    }
    let accelerator = if let accelerator { accelerator } else { await AcceleratorChoice.detect(reportingTo: progress) }
    try Task.checkCancellation()
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("dibkit-diff-\(UUID().uuidString.prefix(8))")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: false)
    defer { try? FileManager.default.removeItem(at: folder) }
    let timer = StepTimer(progress: progress)
    do {
        let launch = timer.start("launch")
        let roots = try await GuestSession.withSession(
            disks: zip(images, formats).map { GuestSession.Disk($0, format: $1.rawValue) },
            accelerator: accelerator.accelerator, readOnly: true, memoryMiB: 512, followConsole: false,
            note: { progress(.note($0)) }
        ) { guest in
            timer.finish("launch", startedAt: launch)
            var roots: [(device: String, snapshot: ImageSnapshot)] = []
            for (index, image) in images.enumerated() {
                let step = "image \(index + 1)/\(images.count)"
                let mountpoint = "/image\(index + 1)"
                let device = try await timer.time("mount \(step)", detail: image.lastPathComponent) {
                    try await mountRoot(of: image, disk: index, at: mountpoint, in: guest)
                }
                let snapshot = try await timer.time("read \(step)") {
                    try await SnapshotReader(guest: guest, mountpoint: mountpoint, folder: folder).read()
                }
                roots.append((device, snapshot))
            }
            return roots
        }
        return DiffReport(
            first: .init(path: first.path, format: formats[0], rootDevice: roots[0].device),
            second: .init(path: second.path, format: formats[1], rootDevice: roots[1].device),
            differences: ImageDifference(from: roots[0].snapshot, to: roots[1].snapshot))
    } catch {
        if Task.isCancelled { throw ChrootError.cancelled }
        throw error
    }
}

/// Mounts the root of the session's disk `disk` read-only at `mountpoint`; a miss names `image`.
private func mountRoot(of image: URL, disk: Int, at mountpoint: String, in guest: GuestSession) async throws -> String {
    do { return try await guest.mountRoot(ofDisk: disk, at: mountpoint, readOnly: true) } catch ChrootError.noRootFilesystem(let seen) {
        throw DiffError.noRootFilesystem(path: image.path, seen: seen)
    }
}
