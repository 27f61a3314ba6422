import CloudHTTP
import Foundation
import QcowIO
import Synchronization
import S3
import Reporting

/// The file that goes up: the input itself or a conversion of it.
struct PreparedImage: Sendable {
    var file: URL
    var format: OutputFormat
    var bytes: UInt64
    var otherFormatBytes: UInt64?
}

/// The object in the Space that DigitalOcean fetches.
struct StagedObject: Sendable {
    var bucket: String
    var key: String
    var url: String
    var format: OutputFormat
    var bytes: UInt64
    var otherFormatBytes: UInt64?
    var bytesPerSecond: Double

    func summary(kept: Bool) -> DigitalOceanUploadResult.Staged {
        .init(format: format.rawValue, bytes: bytes, otherFormatBytes: otherFormatBytes, url: url, kept: kept, bytesPerSecond: bytesPerSecond)
    }
}

/// Bytes done so far, added to from several tasks.
final class ByteCount: Sendable {
    private let total = Mutex<UInt64>(0)

    /// Adds `bytes` and returns the new total.
    func add(_ bytes: UInt64) -> UInt64 { total.withLock { $0 += bytes; return $0 } }
}

extension UploadSession {
    /// Makes gzip'd raw and, unless the input already is one DigitalOcean reads (qcow2 without a backing
    /// file, zlib clusters, no extended L2), a deflate-compressed qcow2; keeps the smaller.
    func prepare(in directory: URL) async throws -> PreparedImage {
        let baseName = Self.fileName(request.name)
        let inputIsUsable = imageInfo.format == .qcow2 && imageInfo.backingFile == nil
            && imageInfo.compressionType != "zstd" && imageInfo.extendedL2 != true
        let conversions = inputIsUsable ? 1 : 2
        let total = imageInfo.virtualSize * UInt64(conversions)
        let gzip = try await convert(to: directory.appendingPathComponent("\(baseName).raw.gz"), .rawGzip, doneBefore: 0, total: total)
        let qcow2: (url: URL, bytes: UInt64)
        if inputIsUsable {
            qcow2 = (request.image, try fileSize(request.image))
        } else {
            qcow2 = try await convert(
                to: directory.appendingPathComponent("\(baseName).qcow2"), .qcow2, compression: .deflate,
                doneBefore: imageInfo.virtualSize, total: total)
        }
        let (kept, dropped, format) = gzip.bytes < qcow2.bytes ? (gzip, qcow2, OutputFormat.rawGzip) : (qcow2, gzip, OutputFormat.qcow2)
        if dropped.url != request.image { try? FileManager.default.removeItem(at: dropped.url) }
        return PreparedImage(file: kept.url, format: format, bytes: kept.bytes, otherFormatBytes: dropped.bytes)
    }

    private func convert(to output: URL, _ format: OutputFormat, compression: ClusterCompression? = nil,
                         doneBefore: UInt64, total: UInt64) async throws -> (url: URL, bytes: UInt64) {
        let events = events
        let result = try await QcowIO.convert(from: request.image, to: output, options: ConvertOptions(format: format, compression: compression)) {
            if case .bytes(_, let done, _) = $0 { events(.bytes(step: UploadPhase.preparing.rawValue, done: doneBefore + done, total: total)) }
        }
        return (output, result.fileSize)
    }

    /// Sends the file by multipart upload, readable by everyone (DigitalOcean fetches it without
    /// credentials, and a presigned URL fails its HEAD check), under a random folder so the URL cannot be
    /// guessed; then checks size and ACL as DigitalOcean will see them.
    func stage(_ prepared: PreparedImage) async throws -> StagedObject {
        let fileName = "\(Self.fileName(request.name)).\(prepared.format.rawValue)"
        let key = "dibkit-staging/\(UUID().uuidString.lowercased())/\(fileName)"
        let upload = MultipartUpload(
            client: spaces, bucket: request.space, key: key, file: prepared.file, size: prepared.bytes, acl: "public-read",
            contentType: prepared.format == .qcow2 ? "application/octet-stream" : "application/gzip",
            parallelParts: max(1, request.parallelParts), partSize: MultipartUpload.partSize(for: prepared.bytes, preferred: request.partSize))
        let sent = ByteCount()
        let (events, total) = (events, prepared.bytes)
        let start = ContinuousClock.now
        try await upload.run { bytes in events(.bytes(step: UploadPhase.staging.rawValue, done: sent.add(bytes), total: total)) }
        let seconds = (ContinuousClock.now - start).inSeconds
        let staged = StagedObject(
            bucket: request.space, key: key, url: publicURL(key: key), format: prepared.format, bytes: prepared.bytes,
            otherFormatBytes: prepared.otherFormatBytes, bytesPerSecond: Double(prepared.bytes) / max(seconds, 0.001))
        do {
            try await verify(staged)
        } catch {
            try? await runIgnoringCancellation { [self] in try await unstage(staged) }
            throw error
        }
        return staged
    }

    private func verify(_ staged: StagedObject) async throws {
        let size = try await spaces.objectSize(bucket: staged.bucket, key: staged.key)
        guard size == staged.bytes else {
            throw DigitalOceanError.stagingCheckFailed("\(staged.key) holds \(size.map(String.init) ?? "nothing") bytes, \(staged.bytes) were sent")
        }
        guard try await spaces.isPublicRead(bucket: staged.bucket, key: staged.key) else {
            throw DigitalOceanError.stagingCheckFailed(
                "\(staged.key) is not readable by everyone, so DigitalOcean cannot fetch it; allow public-read ACLs on Space \(staged.bucket)")
        }
    }

    /// Deletes the staged object, said first (an interrupted cleanup that is abandoned leaves it).
    func unstage(_ staged: StagedObject) async throws {
        events(.status("deleting the staged object s3://\(staged.bucket)/\(staged.key)"))
        try await spaces.deleteObject(bucket: staged.bucket, key: staged.key)
    }

    /// The URL DigitalOcean fetches: `https://SPACE.REGION.digitaloceanspaces.com/KEY` for Spaces itself,
    /// path-style under any other endpoint. Either way it ends in the file name.
    private func publicURL(key: String) -> String {
        let endpoint = request.spacesEndpoint
        let encodedKey = SigV4Signer.encode(key, keepingSlashes: true)
        if let host = endpoint.host, host.hasSuffix(".digitaloceanspaces.com") {
            return "https://\(request.space).\(host)/\(encodedKey)"
        }
        return endpoint.absoluteString.trimmingSuffix("/") + "/\(request.space)/\(encodedKey)"
    }

    /// The image name made safe for a URL's last segment.
    static func fileName(_ name: String) -> String {
        String(name.map { $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) ? $0 : "-" })
    }

    private func fileSize(_ url: URL) throws -> UInt64 {
        let attributes = try FileManager.default.attributesOfItem(atPath: url.path)
        return (attributes[.size] as? NSNumber)?.uint64Value ?? 0
    }
}
