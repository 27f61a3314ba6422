import Chroot
import DurableFiles
import Foundation
import QcowIO
import HostProcesses

/// The two temporary files of one patch, hidden beside the image (the copy must be on the image's
/// filesystem to replace it by rename): the overlay the appliance writes, and the copy it is committed into.
struct PatchFiles: Sendable {
    let image: URL
    let overlay: URL
    let copy: URL

    init(image: URL) {
        self.image = image
        let folder = image.deletingLastPathComponent()
        let stem = ".\(image.lastPathComponent).patch-\(UUID().uuidString.prefix(8))"
        overlay = folder.appendingPathComponent(stem + ".overlay.qcow2")
        copy = folder.appendingPathComponent(stem + ".copy")
    }

    /// A qcow2 overlay backed by the image, which stays read-only under it.
    func createOverlay(format: ImageFormat) async throws {
        try await CommandRunner.run(
            ["qemu-img", "create", "-q", "-f", "qcow2", "-b", image.path, "-F", format.rawValue, overlay.path],
            label: "qemu-img create (overlay)")
    }

    /// A copy of the image with its holes, mode and owner; a reflink where the filesystem offers one.
    func copyImage() async throws {
        try await copyKeepingHoles(image, to: copy, preservingMode: true)
    }

    /// Points the overlay at the copy (same bytes, so no data moves), writes the overlay's changes into the
    /// copy, and publishes it over the image (flushed, renamed, folder flushed).
    func commit(format: ImageFormat) async throws {
        try await CommandRunner.run(
            ["qemu-img", "rebase", "-q", "-u", "-f", "qcow2", "-b", copy.path, "-F", format.rawValue, overlay.path],
            label: "qemu-img rebase (overlay onto the copy)")
        try await CommandRunner.run(
            ["qemu-img", "commit", "-q", "-d", "-f", "qcow2", overlay.path], label: "qemu-img commit (into the copy)")
        try Task.checkCancellation()
        try FilePublisher().publish(copy, as: image)
    }

    /// Removes whatever of the two files exists.
    func removeAll() {
        for url in [overlay, copy] { try? FileManager.default.removeItem(at: url) }
    }
}

/// Copies `source` to `target` with its holes; a reflink where the filesystem offers one. With `preservingMode`
/// the target gets the source's mode and owner; without, an existing target (a private file made for the copy)
/// keeps its own.
func copyKeepingHoles(_ source: URL, to target: URL, preservingMode: Bool) async throws {
    let preserve = preservingMode ? ["--preserve=mode,ownership"] : []
    try await CommandRunner.run(
        ["cp", "--reflink=auto", "--sparse=always"] + preserve + ["--", source.path, target.path], label: "cp (copy of the image)")
}
