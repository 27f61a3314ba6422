import CloudHTTP
import Foundation
import QcowIO
public import Reporting

/// The steps of a Glance upload, in order.
public enum GlanceUploadPhase: String, Sendable, Codable, CaseIterable {
    /// The image read (format, backing file) and the import methods asked for.
    case checking
    /// `POST /v2/images`: a queued image with the properties.
    case creating
    /// The bytes sent: `PUT …/file`, or `PUT …/stage` for an import.
    case uploading
    /// `POST …/import` with glance-direct, then waiting for `active`.
    case importing
    /// Glance's size and SHA-512 compared with the file's.
    case verifying
}

/// What a Glance upload did.
public struct GlanceUploadResult: Sendable, Codable, Equatable {
    public var imageID: String
    public var name: String
    public var status: String
    public var diskFormat: String
    public var bytes: UInt64
    /// The SHA-512 dibkit computed while sending, equal to Glance's `os_hash_value`.
    public var sha512: String
    /// `upload` (`PUT …/file`) or `glance-direct`.
    public var method: String
    /// The properties set on the image.
    public var properties: [String: String]
    /// Sending throughput: bytes over the upload's (or staging's) seconds.
    public var bytesPerSecond: Double
    /// Seconds per phase, by `GlanceUploadPhase` name.
    public var seconds: [String: Double]
}

/// Uploads an image to Glance through an authenticated Keystone session: creates the image with its
/// properties, streams the file (plain upload or glance-direct import) while hashing it, waits for `active`
/// and checks Glance's SHA-512 against its own. On failure or cancellation the half-made image is deleted.
public struct GlanceUpload: Sendable {
    public let request: GlanceUploadRequest

    public init(_ request: GlanceUploadRequest) {
        self.request = request
    }

    /// Runs the upload.
    /// - Parameters:
    ///   - keystone: the session whose catalog gives the image endpoint (interface and region).
    ///   - events: progress, from any thread: the phases (`GlanceUploadPhase` names), bytes sent, states seen.
    /// - Throws: `OpenStackError` (`invalidUpload` before any request), `ServiceUnreachable`,
    ///   `CancellationError` after the image was deleted.
    public func run(keystone: KeystoneSession, events: @escaping ProgressHandler) async throws -> GlanceUploadResult {
        let (info, diskFormat) = try request.validate()
        let glance = try GlanceImages(keystone: keystone)
        let timer = StepTimer(progress: events)
        func step<T>(_ phase: GlanceUploadPhase, _ detail: String, _ body: () async throws -> T) async throws -> T {
            try await timer.time(phase.rawValue, detail: detail, body)
        }

        let method = try await step(.checking, "\(request.image.lastPathComponent): \(diskFormat), \(info.virtualSize) bytes virtual") {
            try await chooseMethod(glance, events: events)
        }
        let created = try await step(.creating, "\(request.name) (\(diskFormat))") { try await glance.create(fields(diskFormat: diskFormat)) }
        do {
            let file = try ImageFileStream(path: request.image.path) { events(.bytes(step: GlanceUploadPhase.uploading.rawValue, done: $0, total: $1)) }
            let sendStart = ContinuousClock.now
            try await step(.uploading, method == "glance-direct" ? "staging for glance-direct import" : "PUT …/file") {
                try await glance.send(file, to: created.id, staging: method == "glance-direct")
            }
            let sendSeconds = (ContinuousClock.now - sendStart).inSeconds
            if method == "glance-direct" {
                try await step(.importing, "glance-direct") {
                    try await glance.importStaged(created.id)
                    try await waitForImport(glance, id: created.id, events: events)
                }
            }
            let image = try await step(.verifying, "size and SHA-512") { try await verify(glance, id: created.id, file: file) }
            return GlanceUploadResult(
                imageID: image.id, name: request.name, status: image.status, diskFormat: diskFormat, bytes: file.size,
                sha512: file.sha512Hex() ?? "", method: method, properties: request.properties,
                bytesPerSecond: sendSeconds > 0 ? Double(file.size) / sendSeconds : 0, seconds: timer.secondsByStep)
        } catch {
            events(.status("deleting the unfinished image \(created.id)"))
            try? await runIgnoringCancellation { try await glance.delete(created.id) }
            throw error
        }
    }

    /// `glance-direct` when asked for and offered, else the plain upload (said in an event).
    private func chooseMethod(_ glance: GlanceImages, events: ProgressHandler) async throws -> String {
        guard request.useImport else { return "upload" }
        let methods = try await glance.importMethods()
        if methods.contains("glance-direct") { return "glance-direct" }
        events(.status("the cloud offers no glance-direct import (it has: \(methods.isEmpty ? "none" : methods.joined(separator: ", "))); uploading directly"))
        return "upload"
    }

    private func fields(diskFormat: String) -> [String: Any] {
        var fields: [String: Any] = request.properties
        fields["name"] = request.name
        fields["disk_format"] = diskFormat
        fields["container_format"] = "bare"
        fields["visibility"] = request.visibility
        if let minDisk = request.minDiskGB { fields["min_disk"] = minDisk }
        return fields
    }

    /// Polls until the import ends: `active`, or a failure Glance reports (`killed`, a failed store, back to
    /// `queued`), or the timeout.
    private func waitForImport(_ glance: GlanceImages, id: String, events: ProgressHandler) async throws {
        let deadline = ContinuousClock.now + request.importTimeout
        var wait = request.importPolling.initial
        while true {
            let image = try await glance.image(id)
            if image.status == "active" { return }
            if image.status == "killed" || image.status == "queued" || !(image.failedImport ?? "").isEmpty {
                throw OpenStackError.importFailed(imageID: id, status: image.status, failedStores: image.failedImport)
            }
            events(.status("import \(image.status)"))
            guard ContinuousClock.now + wait < deadline else {
                throw OpenStackError.importTimedOut(imageID: id, status: image.status)
            }
            try await Task.sleep(for: wait)
            wait = min(wait * 1.5, request.importPolling.maximum)
        }
    }

    /// The image is active with the file's size and SHA-512.
    private func verify(_ glance: GlanceImages, id: String, file: ImageFileStream) async throws -> GlanceImage {
        let image = try await glance.image(id)
        guard let local = file.sha512Hex() else {
            throw OpenStackError.badResponse(url: "PUT /v2/images/\(id)", reason: "Glance answered before the whole file was sent")
        }
        guard image.status == "active", image.size == file.size else {
            throw OpenStackError.verificationFailed(
                imageID: id, reason: "Glance holds \(image.size.map(String.init) ?? "no") bytes, status \(image.status); the file has \(file.size)")
        }
        guard image.osHashAlgo == "sha512", let remote = image.osHashValue else {
            throw OpenStackError.verificationFailed(
                imageID: id, reason: "Glance reports its hash as \(image.osHashAlgo ?? "nothing"), not sha512: cannot compare with the file's SHA-512")
        }
        guard remote.lowercased() == local else {
            throw OpenStackError.verificationFailed(imageID: id, reason: "Glance's SHA-512 \(remote.prefix(16))… differs from the file's \(local.prefix(16))…")
        }
        return image
    }
}
