import Chroot
public import Foundation
import QcowIO
public import HostProcesses
public import Reporting
public import Elements

/// The per-cloud changes `dibkit upload` makes before uploading, as the seed's upload script did: the Trove
/// agent's settings for this cloud and ssh keys from the cloud's keypairs. They go into a copy, never into
/// the image itself.
public struct CloudTouches: Sendable {
    /// Fill the image's Trove agent template with these settings.
    public var troveAgent: TroveAgentSettings?
    /// Keys to add for `loginUser` (e.g. a Nova keypair's public key).
    public var keys: AuthorizedKeys?
    /// The image's login user (its manifest's `loginUser`).
    public var loginUser: String

    /// Touches from their parts; nothing to do when both are nil.
    public init(troveAgent: TroveAgentSettings? = nil, keys: AuthorizedKeys? = nil, loginUser: String = "dibkit") {
        self.troveAgent = troveAgent
        self.keys = keys
        self.loginUser = loginUser
    }

    /// Whether there is nothing to change.
    public var isEmpty: Bool { troveAgent == nil && keys == nil }

    /// Applies the touches in a mounted root.
    func apply(in guest: GuestSession, image: URL) async throws {
        if let troveAgent { try await writeTroveConfig(troveAgent, in: guest, image: image) }
        if let keys {
            do { try await guest.authorize(keys, for: loginUser) } catch let missing as MissingInImage {
                throw TouchError.noLoginUser(loginUser, reason: "\(missing)")
            }
        }
    }

    /// Renders the template into the agent's config: mode 0640, owner root, group the `trove` user's (it holds
    /// the message queue's password).
    private func writeTroveConfig(_ settings: TroveAgentSettings, in guest: GuestSession, image: URL) async throws {
        guard try await guest.exists(TroveAgentSettings.templatePath) else { throw TouchError.noTroveTemplate(image: image.path) }
        let template = String(decoding: try await guest.readFile(TroveAgentSettings.templatePath), as: UTF8.self)
        let config = TroveAgentSettings.configPath
        let folder = (config as NSString).deletingLastPathComponent
        let group = try await guest.account(named: "trove")?.gid ?? 0
        if !(try await guest.isDirectory(folder)) {
            try await guest.makeDirectory(folder, mode: 0o750)
            try await guest.setOwner(user: 0, group: group, of: folder)
        }
        try await guest.write(Data(try settings.render(template).utf8), to: config)
        try await guest.setOwner(user: 0, group: group, of: config)
        try await guest.setMode(0o640, of: config)
    }
}

/// Runs `body` with the image to upload: `image` itself when `touches` is empty, else a copy with the
/// touches applied through the libguestfs appliance. The copy has the image's file name, mode 0600, in a
/// hidden folder of mode 0700 beside the image (reflinked where the filesystem can), and is removed when
/// `body` returns or throws, on any failure and on cancellation. The image's own bytes never change.
/// - Parameters:
///   - image: a qcow2 or raw image (told by content).
///   - touches: what to change in the copy.
///   - accelerator: how the appliance runs (KVM or TCG).
///   - progress: receives step events (`copy`, `launch`, `touch`).
///   - body: gets the file to upload.
/// - Throws: `TouchError`, `PatchError.badImage`, `ChrootError` (`.cancelled` after cancellation), or what
///   `body` throws.
public func withTouchedCopy<T: Sendable>(
    of image: URL, touches: CloudTouches, accelerator: AcceleratorChoice, progress: @escaping ProgressHandler,
    _ body: (URL) async throws -> T
) async throws -> T {
    guard !touches.isEmpty else { return try await body(image) }
    let format: ImageFormat
    do { format = try ImageFormat.detect(at: image) } catch {
        throw PatchError.badImage(path: image.path, reason: "\(error)")
    }
    let parent = image.standardizedFileURL.deletingLastPathComponent()
    let folder = parent.appendingPathComponent(".dibkit-upload-\(UUID().uuidString.prefix(8))")
    // The copy will hold secrets (the message queue's password): its folder and the file are the owner's only.
    guard mkdir(folder.path, 0o700) == 0 else { throw TouchError.folderNotWritable(parent.path) }
    defer { try? FileManager.default.removeItem(at: folder) }
    let copy = folder.appendingPathComponent(image.lastPathComponent)
    guard (try? createPrivateFile(at: copy)) == true else { throw TouchError.folderNotWritable(parent.path) }
    let timer = StepTimer(progress: progress)
    do {
        try await timer.time("copy") { try await copyKeepingHoles(image, to: copy, preservingMode: false) }
        let launch = timer.start("launch")
        try await GuestSession.withSession(
            disk: copy, format: format.rawValue, accelerator: accelerator.accelerator, memoryMiB: 768,
            followConsole: false, note: { progress(.note($0)) }
        ) { guest in
            timer.finish("launch", startedAt: launch)
            _ = try await guest.mountRoot()
            try await timer.time("touch: \(touches.summary)") { try await touches.apply(in: guest, image: image) }
        }
    } catch {
        if Task.isCancelled { throw ChrootError.cancelled }
        throw error
    }
    return try await body(copy)
}

extension CloudTouches {
    /// What is changed, for progress lines (no secrets).
    var summary: String {
        var parts: [String] = []
        if let troveAgent { parts.append("Trove agent (\(troveAgent))") }
        if let keys { parts.append("\(keys.lines.count) ssh key(s) for \(loginUser)") }
        return parts.joined(separator: ", ")
    }
}
