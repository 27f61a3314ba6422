public import Foundation

/// moto's S3 on 127.0.0.1 holding the given buckets, with signature checks on unless asked (moto's check refuses
/// minio-go's signed ListObjectsV2, restic's client; see moto_s3.py).
public final class MotoS3: Sendable {
    public let endpoint: URL
    public let region: String
    public let accessKeyID: String
    public let secretAccessKey: String
    private let server: PythonServer

    public init(region: String = "nyc3", buckets: [String], signatureChecks: Bool = true) throws {
        server = try PythonServer(script: "moto_s3.py", arguments: ["--region", region] + buckets.flatMap { ["--bucket", $0] }
                                  + (signatureChecks ? [] : ["--no-signature-checks"]))
        endpoint = URL(string: "http://127.0.0.1:\(server.port)")!
        self.region = region
        accessKeyID = server.greeting["access_key_id"] as? String ?? ""
        secretAccessKey = server.greeting["secret_access_key"] as? String ?? ""
    }

    public func stop() { server.stop() }
}

/// The DigitalOcean API of `fake_digitalocean.py`: checks request bodies against the official schemas,
/// fetches staged images from `s3`, plays `scenario`.
public final class FakeDigitalOcean: Sendable {
    /// How the import goes: `available`, `slow`, `deleted`, `flaky` (429, 500, 503 answers), `never`
    /// (pending forever), `post500` (the import's POST fails), `transferErrored` (copies fail).
    public enum Scenario: String, Sendable {
        case available, slow, deleted, flaky, never, post500
        case transferErrored = "transfer-errored"
    }

    public let url: URL
    public let token: String
    private let log: URL
    private let server: PythonServer

    public init(scenario: Scenario, token: String, s3: MotoS3) throws {
        log = FileManager.default.temporaryDirectory.appendingPathComponent("dibkit-fake-do-\(UUID().uuidString.prefix(8)).jsonl")
        server = try PythonServer(script: "fake_digitalocean.py", arguments: [
            "--schemas", TestVenv.digitalOceanSchemas.path, "--token", token, "--scenario", scenario.rawValue,
            "--log", log.path, "--s3-endpoint", s3.endpoint.absoluteString, "--s3-region", s3.region,
            "--s3-key", s3.accessKeyID, "--s3-secret", s3.secretAccessKey,
        ])
        url = URL(string: "http://127.0.0.1:\(server.port)")!
        self.token = token
    }

    /// Every request the server saw, and every fetch of a staged image, in order.
    public func entries() throws -> [[String: Any]] {
        guard let text = try? String(contentsOf: log, encoding: .utf8) else { return [] }
        return try text.split(separator: "\n").map {
            guard let entry = try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] else {
                throw TestServerError("bad log line: \($0)")
            }
            return entry
        }
    }

    /// Requests only (not fetch reports).
    public func requests() throws -> [[String: Any]] { try entries().filter { $0["method"] != nil } }

    /// Schema problems of any request or response; empty when every body was valid.
    public func schemaProblems() throws -> [String] {
        try requests().flatMap { entry -> [String] in
            let label = "\(entry["method"] ?? "") \(entry["path"] ?? "")"
            let problems = (entry["problems"] as? [String] ?? []) + (entry["response_problems"] as? [String] ?? []).map { "response: \($0)" }
            return problems.map { "\(label): \($0)" }
        }
    }

    /// Reports of the importer's fetches: url, head_length, get_length, sha256, format, public_read.
    public func fetches() throws -> [[String: Any]] { try entries().compactMap { $0["fetch"] as? [String: Any] } }

    public func stop() {
        server.stop()
        try? FileManager.default.removeItem(at: log)
    }
}

/// moto and the fake DigitalOcean API together, stopped when `body` ends however it ends.
public func withTestClouds<T>(
    scenario: FakeDigitalOcean.Scenario = .available, token: String = "dop_v1_" + String(repeating: "5e", count: 32),
    buckets: [String] = ["dibkit-test-space"], _ body: (MotoS3, FakeDigitalOcean) async throws -> T
) async throws -> T {
    let s3 = try MotoS3(buckets: buckets)
    defer { s3.stop() }
    let api = try FakeDigitalOcean(scenario: scenario, token: token, s3: s3)
    defer { api.stop() }
    return try await body(s3, api)
}
