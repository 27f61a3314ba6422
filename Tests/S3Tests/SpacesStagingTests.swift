import Foundation
import TestSupport
import Testing

@testable import S3
import CloudHTTP

/// Multipart uploads against moto's S3 with signature checks on.
@Suite("Spaces staging against moto", .serialized)
struct SpacesStagingTests {
    static let bucket = "dibkit-test-space"

    /// Runs `body` with a client for a fresh moto, signing with `secret` (default: the right one).
    func withSpaces<T: Sendable>(secret: String? = nil, _ body: (S3Client, MotoS3) async throws -> T) async throws -> T {
        let moto = try MotoS3(buckets: [Self.bucket])
        defer { moto.stop() }
        let credentials = SigV4Signer.Credentials(accessKeyID: moto.accessKeyID, secretAccessKey: secret ?? moto.secretAccessKey)
        let policy = RetryPolicy(attempts: 2, initialDelay: .milliseconds(10), maximumDelay: .milliseconds(50))
        return try await HTTPTransport.with(redactor: SecretRedactor(secrets: [moto.secretAccessKey]), retry: policy, onRetry: { _ in }) {
            try await body(S3Client(endpoint: moto.endpoint, signer: SigV4Signer(credentials: credentials, region: moto.region),
                                    transport: $0, serviceName: "Spaces"), moto)
        }
    }

    func upload(_ client: S3Client, file: URL, size: UInt64, key: String) -> MultipartUpload {
        MultipartUpload(client: client, bucket: Self.bucket, key: key, file: file, size: size, acl: "public-read",
                        contentType: "application/octet-stream", parallelParts: 3, partSize: 5 << 20)
    }

    /// Multipart uploads still open in the bucket.
    func openUploads(_ client: S3Client) async throws -> Int {
        let response = try await client.send("GET", bucket: Self.bucket, query: [("uploads", "")], operation: "list uploads")
        return S3XML.values(of: "UploadId", in: response.bodyText).count
    }

    @Test("a file goes up in parallel parts, public-read, whole; delete removes it")
    func multipart() async throws {
        let image = try TestImage()
        defer { image.remove() }
        let size = try #require(try FileManager.default.attributesOfItem(atPath: image.raw.path)[.size] as? UInt64)
        try await withSpaces { client, _ in
            try await client.checkBucket(Self.bucket)
            let sent = Recorder<UInt64>()
            try await upload(client, file: image.raw, size: size, key: "dibkit-staging/t/disk.raw").run { sent.append($0) }
            #expect(sent.all.count == 7)  // 32 MiB in 5 MiB parts
            #expect(sent.all.reduce(0, +) == size)
            #expect(try await client.objectSize(bucket: Self.bucket, key: "dibkit-staging/t/disk.raw") == size)
            #expect(try await client.isPublicRead(bucket: Self.bucket, key: "dibkit-staging/t/disk.raw"))
            try await client.deleteObject(bucket: Self.bucket, key: "dibkit-staging/t/disk.raw")
            #expect(try await client.objectSize(bucket: Self.bucket, key: "dibkit-staging/t/disk.raw") == nil)
            #expect(try await openUploads(client) == 0)
        }
    }

    @Test("a wrong secret is refused by moto's signature check, with a hint and no secret in the message")
    func wrongSecret() async throws {
        try await withSpaces(secret: "not-the-secret-key") { client, moto in
            let error = await #expect(throws: ServiceError.self) { try await client.checkBucket(Self.bucket) }
            let text = "\(error.map(String.init(describing:)) ?? "")"
            #expect(text.contains("HTTP 403"))
            #expect(text.contains("SPACES_"))
            #expect(!text.contains(moto.secretAccessKey) && !text.contains("not-the-secret-key"))
        }
    }

    @Test("a missing Space is named, with what to do")
    func missingSpace() async throws {
        try await withSpaces { client, _ in
            let error = await #expect(throws: ServiceError.self) { try await client.checkBucket("no-such-space") }
            #expect("\(error.map(String.init(describing:)) ?? "")".contains("There is no Space no-such-space"))
        }
    }

    @Test("a failing part aborts the upload: no open upload, no object")
    func failureAborts() async throws {
        let image = try TestImage()
        defer { image.remove() }
        try await withSpaces { client, _ in
            // Claims more bytes than the file has: the last part cannot be read.
            let broken = upload(client, file: image.raw, size: 40 << 20, key: "dibkit-staging/t/broken.raw")
            await #expect(throws: FileReadError.self) { try await broken.run { _ in } }
            let (open, size) = (try await openUploads(client), try await client.objectSize(bucket: Self.bucket, key: "dibkit-staging/t/broken.raw"))
            #expect(open == 0 && size == nil)
        }
    }

    @Test("cancelling mid-upload aborts it")
    func cancellationAborts() async throws {
        let image = try TestImage(size: 64 << 20, randomBytes: 60 << 20)
        defer { image.remove() }
        try await withSpaces { client, _ in
            let job = upload(client, file: image.raw, size: 64 << 20, key: "dibkit-staging/t/cancelled.raw")
            let firstPart = AsyncStream<Void>.makeStream()
            let task = Task { try await job.run { _ in firstPart.continuation.yield() } }
            for await _ in firstPart.stream { break }
            task.cancel()
            await #expect(throws: CancellationError.self) { try await task.value }
            let (open, size) = (try await openUploads(client), try await client.objectSize(bucket: Self.bucket, key: "dibkit-staging/t/cancelled.raw"))
            #expect(open == 0 && size == nil)
        }
    }
}
