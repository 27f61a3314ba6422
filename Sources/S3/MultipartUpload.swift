import CloudHTTP
public import Foundation
import NIOCore

/// Puts a file into a bucket by S3 multipart upload: parts are read into memory, at most `parallelParts` at
/// a time (so memory stays near `parallelParts × partSize` whatever the file size), sent in parallel, each
/// retried by the transport. Any failure or cancellation aborts the upload, leaving no parts behind.
public struct MultipartUpload: Sendable {
    let client: S3Client
    let bucket: String
    let key: String
    let file: URL
    let size: UInt64
    /// A canned ACL for the finished object, e.g. `public-read`.
    let acl: String?
    let contentType: String
    let parallelParts: Int
    let partSize: Int

    public init(
        client: S3Client, bucket: String, key: String, file: URL, size: UInt64, acl: String?, contentType: String,
        parallelParts: Int, partSize: Int
    ) {
        self.client = client
        self.bucket = bucket
        self.key = key
        self.file = file
        self.size = size
        self.acl = acl
        self.contentType = contentType
        self.parallelParts = parallelParts
        self.partSize = partSize
    }

    /// S3 allows 10,000 parts of at least 5 MiB (the last may be smaller).
    public static func partSize(for size: UInt64, preferred: Int = 16 << 20) -> Int {
        let smallestAllowed = (size + 9_999) / 10_000
        let mebibyte: UInt64 = 1 << 20
        return max(preferred, Int((smallestAllowed + mebibyte - 1) / mebibyte * mebibyte))
    }

    /// Uploads the file; `progress` gets the bytes of each part as it is stored.
    public func run(progress: @escaping @Sendable (UInt64) -> Void) async throws {
        let reader = try FileRangeReader(path: file.path)
        let uploadID = try await client.createMultipartUpload(bucket: bucket, key: key, acl: acl, contentType: contentType)
        do {
            let etags = try await uploadParts(uploadID: uploadID, reader: reader, progress: progress)
            try await client.completeMultipartUpload(bucket: bucket, key: key, uploadID: uploadID, etags: etags)
        } catch {
            // Also after Ctrl-C: the abort runs outside the cancelled task.
            let (client, bucket, key) = (client, bucket, key)
            try? await runIgnoringCancellation { try await client.abortMultipartUpload(bucket: bucket, key: key, uploadID: uploadID) }
            throw Task.isCancelled ? CancellationError() : error
        }
    }

    private func uploadParts(uploadID: String, reader: FileRangeReader, progress: @escaping @Sendable (UInt64) -> Void) async throws -> [String] {
        let count = Int((size + UInt64(partSize) - 1) / UInt64(partSize))
        var etags = [String](repeating: "", count: count)
        try await withThrowingTaskGroup(of: (Int, String).self) { group in
            var next = 1
            func start(_ number: Int) {
                let offset = UInt64(number - 1) * UInt64(partSize)
                let length = Int(min(UInt64(partSize), size - offset))
                let (client, bucket, key) = (client, bucket, key)
                group.addTask {
                    let bytes = try await reader.read(offset: offset, length: length)
                    let etag = try await client.uploadPart(bucket: bucket, key: key, uploadID: uploadID, number: number, bytes: bytes)
                    progress(UInt64(length))
                    return (number, etag)
                }
            }
            while next <= min(count, parallelParts) { start(next); next += 1 }
            while let (number, etag) = try await group.next() {
                etags[number - 1] = etag
                if next <= count { start(next); next += 1 }
            }
        }
        return etags
    }
}
