import Foundation
import TestSupport
import Testing

@testable import DigitalOcean
import CloudHTTP
import Reporting
@testable import S3

/// Whole uploads against moto and the fake DigitalOcean API (bodies checked against the official schemas).
@Suite("DigitalOcean upload against moto and a schema-checking API", .serialized)
struct DigitalOceanUploadTests {
    /// A request for `image` aimed at the test servers, polling and retrying fast.
    static func request(_ image: URL, s3: MotoS3, api: FakeDigitalOcean) -> DigitalOceanUploadRequest {
        var request = DigitalOceanUploadRequest(
            image: image, region: "nyc3", space: "dibkit-test-space", name: "redis-test", apiURL: api.url, spacesEndpoint: s3.endpoint,
            token: Secret(api.token), spacesCredentials: .init(accessKeyID: s3.accessKeyID, secretAccessKey: s3.secretAccessKey))
        request.polling = PollingPolicy(initial: .milliseconds(20), maximum: .milliseconds(100))
        request.retry = RetryPolicy(attempts: 5, initialDelay: .milliseconds(20), maximumDelay: .milliseconds(100))
        request.partSize = 5 << 20
        return request
    }

    /// Runs an upload, collecting its events.
    static func run(_ request: DigitalOceanUploadRequest) async throws -> (DigitalOceanUploadResult, [ProgressEvent]) {
        let events = Recorder<ProgressEvent>()
        let result = try await DigitalOceanUpload(request).run { events.append($0) }
        return (result, events.all)
    }

    static func stagedKeys(_ api: FakeDigitalOcean) throws -> [(bucket: String, key: String)] {
        try api.fetches().compactMap { fetch in
            guard let url = (fetch["url"] as? String).flatMap(URL.init(string:)) else { return nil }
            let parts = url.path.split(separator: "/", maxSplits: 1).map(String.init)
            return (parts[0], parts[1])
        }
    }

    @Test("a qcow2 goes up as the smaller format, is fetched whole and public, imported, copied, firewalled, and unstaged")
    func available() async throws {
        let image = try TestImage()
        defer { image.remove() }
        try await withTestClouds { s3, api in
            var request = Self.request(image.qcow2, s3: s3, api: api)
            request.extraRegions = ["fra1", "ams3"]
            request.tags = ["dibkit", "db:redis"]
            request.firewall = FirewallRequest(tag: "dibkit-redis", ports: [6379], sources: ["203.0.113.0/24", "2001:db8::/32"])
            let (result, events) = try await Self.run(request)

            #expect(try api.schemaProblems() == [])
            #expect(result.status == "available")
            #expect(result.regions == ["ams3", "fra1", "nyc3"])
            #expect(result.staged.bytes <= result.staged.otherFormatBytes ?? .max)
            let fetch = try #require(try api.fetches().first)
            #expect(fetch["public_read"] as? Bool == true)
            #expect(fetch["head_length"] as? Int == Int(result.staged.bytes))
            #expect((fetch["url"] as? String)?.hasSuffix("/redis-test.\(result.staged.format)") == true)
            if result.staged.format == "raw.gz" {
                #expect(fetch["gunzipped_sha256"] as? String == image.rawSHA256)
            } else {
                #expect(fetch["format"] as? String == "qcow2")
            }
            let (bucket, key) = try #require(try Self.stagedKeys(api).first)
            #expect(key.hasPrefix("dibkit-staging/"))
            #expect(try await objectSize(s3, bucket: bucket, key: key) == nil)

            let paths = try api.requests().map { "\($0["method"]!) \($0["path"]!)" }
            #expect(paths.filter { $0.hasPrefix("POST /v2/images/") && $0.hasSuffix("/actions") }.count == 2)
            let firewall = try #require(try api.requests().first { $0["path"] as? String == "/v2/firewalls" && $0["method"] as? String == "POST" })
            let body = try #require(firewall["body"] as? [String: Any])
            #expect(body["tags"] as? [String] == ["dibkit-redis"])
            #expect((body["inbound_rules"] as? [[String: Any]])?.compactMap { $0["ports"] as? String } == ["22", "6379"])
            #expect(result.firewall?.action == "created")
            #expect(events.contains { if case .stepFinished("cleaning", _) = $0 { true } else { false } })
        }
    }

    @Test("a second upload with --firewall updates the same firewall, keeping its outbound rules")
    func firewallUpdate() async throws {
        let image = try TestImage(size: 8 << 20, randomBytes: 1 << 20)
        defer { image.remove() }
        try await withTestClouds { s3, api in
            var request = Self.request(image.raw, s3: s3, api: api)
            request.firewall = FirewallRequest(tag: "dibkit-redis", ports: [6379], sources: ["203.0.113.0/24"])
            let first = try await Self.run(request).0
            request.firewall?.sources = ["198.51.100.7"]
            let second = try await Self.run(request).0
            #expect(first.firewall?.action == "created")
            #expect(second.firewall?.action == "updated")
            #expect(second.firewall?.id == first.firewall?.id)
            let update = try #require(try api.requests().first { $0["method"] as? String == "PUT" })
            let body = try #require(update["body"] as? [String: Any])
            #expect((body["outbound_rules"] as? [Any])?.count == 3)
            #expect(((body["inbound_rules"] as? [[String: Any]])?.first?["sources"] as? [String: Any])?["addresses"] as? [String] == ["198.51.100.7"])
            #expect(try api.schemaProblems() == [])
        }
    }

    @Test("a slow import is polled through NEW and pending until available")
    func slow() async throws {
        let image = try TestImage(size: 8 << 20, randomBytes: 1 << 20)
        defer { image.remove() }
        try await withTestClouds(scenario: .slow) { s3, api in
            let (result, events) = try await Self.run(Self.request(image.qcow2, s3: s3, api: api))
            #expect(result.status == "available")
            #expect(events.contains(.status("import pending")))
            #expect(try api.requests().filter { ($0["path"] as? String)?.hasPrefix("/v2/images/7") == true }.count >= 6)
        }
    }

    @Test("an import ending `deleted` stops at once with DigitalOcean's message and a hint; the object is deleted unless kept",
          arguments: [false, true])
    func deleted(keepStaged: Bool) async throws {
        let image = try TestImage(size: 8 << 20, randomBytes: 1 << 20)
        defer { image.remove() }
        try await withTestClouds(scenario: .deleted) { s3, api in
            var request = Self.request(image.qcow2, s3: s3, api: api)
            request.keepStaged = keepStaged
            let error = await #expect(throws: DigitalOceanError.self) { try await Self.run(request) }
            guard case .importFailed(_, let message, let hint)? = error else { Issue.record("not importFailed: \(String(describing: error))"); return }
            #expect(message == "The image could not be imported: unrecognised partition table")
            #expect(hint.contains("cloud-init") && hint.contains(keepStaged ? "was kept" : "--keep-staged"))
            let (bucket, key) = try #require(try Self.stagedKeys(api).first)
            #expect(try await objectSize(s3, bucket: bucket, key: key) == (keepStaged ? UInt64(try #require(try api.fetches().first?["head_length"] as? Int)) : nil))
        }
    }

    @Test("429 with Retry-After on the import and 500/429/503 while polling are waited out")
    func flaky() async throws {
        let image = try TestImage(size: 8 << 20, randomBytes: 1 << 20)
        defer { image.remove() }
        try await withTestClouds(scenario: .flaky) { s3, api in
            let (result, events) = try await Self.run(Self.request(image.qcow2, s3: s3, api: api))
            #expect(result.status == "available")
            let retries = events.compactMap { if case .retrying(let text) = $0 { text } else { nil } }
            #expect(retries.count == 4)
            #expect(retries.first?.contains("POST /v2/images: HTTP 429") == true)
            #expect(retries.dropFirst().map { $0.contains("HTTP 500") || $0.contains("HTTP 429") || $0.contains("HTTP 503") } == [true, true, true])
            #expect(try api.requests().filter { $0["method"] as? String == "POST" && $0["path"] as? String == "/v2/images" }.count == 2)
        }
    }

    @Test("a 500 on the import's POST is not sent again (a second image could result): the error says so, the object goes")
    func importPostFails() async throws {
        let image = try TestImage(size: 8 << 20, randomBytes: 1 << 20)
        defer { image.remove() }
        try await withTestClouds(scenario: .post500) { s3, api in
            let error = await #expect(throws: ServiceError.self) { try await Self.run(Self.request(image.qcow2, s3: s3, api: api)) }
            #expect(error.map(String.init(describing:))?.contains("DigitalOcean POST /v2/images: HTTP 500: server_error") == true)
            let posts = try api.requests().filter { $0["method"] as? String == "POST" && $0["path"] as? String == "/v2/images" }
            #expect(posts.count == 1)
            #expect(try await objectKeys(s3) == [])
        }
    }

    @Test("a copy to another region ending `errored` names the region and the doctl command to retry it")
    func transferErrored() async throws {
        let image = try TestImage(size: 8 << 20, randomBytes: 1 << 20)
        defer { image.remove() }
        try await withTestClouds(scenario: .transferErrored) { s3, api in
            var request = Self.request(image.qcow2, s3: s3, api: api)
            request.extraRegions = ["fra1"]
            let error = await #expect(throws: DigitalOceanError.self) { try await Self.run(request) }
            #expect(error.map(String.init(describing:))?.contains("copying image 7000 to fra1 failed") == true)
            #expect(error.map(String.init(describing:))?.contains("doctl compute image-action transfer 7000 --region fra1") == true)
            let problems = try api.schemaProblems()
            #expect(problems == [])
        }
    }

    @Test("past --timeout the error says what still runs and where the staged object is, which stays for the import")
    func timeout() async throws {
        let image = try TestImage(size: 8 << 20, randomBytes: 1 << 20)
        defer { image.remove() }
        try await withTestClouds(scenario: .never) { s3, api in
            var request = Self.request(image.qcow2, s3: s3, api: api)
            request.timeout = .milliseconds(300)
            let error = await #expect(throws: DigitalOceanError.self) { try await Self.run(request) }
            let text = error.map(String.init(describing:)) ?? ""
            #expect(text.contains("still pending") && text.contains("doctl compute image get 7000"))
            let (bucket, key) = try #require(try Self.stagedKeys(api).first)
            #expect(try await objectSize(s3, bucket: bucket, key: key) != nil)
        }
    }

    @Test("cancelling during the import deletes the image and the staged object")
    func cancellation() async throws {
        let image = try TestImage(size: 8 << 20, randomBytes: 1 << 20)
        defer { image.remove() }
        try await withTestClouds(scenario: .never) { s3, api in
            let importing = AsyncStream<Void>.makeStream()
            let request = Self.request(image.qcow2, s3: s3, api: api)
            let task = Task {
                try await DigitalOceanUpload(request).run { event in
                    if event == .status("import pending") { importing.continuation.yield() }
                }
            }
            for await _ in importing.stream { break }
            task.cancel()
            await #expect(throws: CancellationError.self) { try await task.value }
            #expect(try api.requests().contains { $0["method"] as? String == "DELETE" && $0["path"] as? String == "/v2/images/7000" })
            let (bucket, key) = try #require(try Self.stagedKeys(api).first)
            #expect(try await objectSize(s3, bucket: bucket, key: key) == nil)
        }
    }

    @Test("a refused token stops at the first call, before anything is converted or staged")
    func badToken() async throws {
        let image = try TestImage(size: 8 << 20, randomBytes: 1 << 20)
        defer { image.remove() }
        try await withTestClouds { s3, api in
            var request = Self.request(image.qcow2, s3: s3, api: api)
            request.token = Secret("dop_v1_wrong")
            let error = await #expect(throws: ServiceError.self) { try await Self.run(request) }
            let text = error.map(String.init(describing:)) ?? ""
            #expect(text.contains("HTTP 401") && text.contains("DIGITALOCEAN_ACCESS_TOKEN"))
            let requests = try api.requests()
            #expect(requests.count == 1)
        }
    }

    /// The keys in the test Space (ListObjects).
    func objectKeys(_ s3: MotoS3) async throws -> [String] {
        try await withS3(s3) { client in
            let response = try await client.send("GET", bucket: "dibkit-test-space", operation: "list")
            guard response.status == 200 else { throw TestServerError("listing the Space: HTTP \(response.status)") }
            return S3XML.values(of: "Key", in: response.bodyText)
        }
    }

    /// The object's size, read with the test's own client (nil: no such object).
    func objectSize(_ s3: MotoS3, bucket: String, key: String) async throws -> UInt64? {
        try await withS3(s3) { try await $0.objectSize(bucket: bucket, key: key) }
    }

    func withS3<T: Sendable>(_ s3: MotoS3, _ body: (S3Client) async throws -> T) async throws -> T {
        let credentials = SigV4Signer.Credentials(accessKeyID: s3.accessKeyID, secretAccessKey: s3.secretAccessKey)
        return try await HTTPTransport.with(redactor: SecretRedactor(secrets: []), retry: .standard, onRetry: { _ in }) {
            try await body(S3Client(endpoint: s3.endpoint, signer: SigV4Signer(credentials: credentials, region: s3.region),
                                    transport: $0, serviceName: "test"))
        }
    }
}
