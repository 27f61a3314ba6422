import Foundation
import TestSupport
import Testing

/// `dibkit upload` as a user runs it: the real binary against moto and the schema-checking DigitalOcean
/// API, its whole output checked for secrets.
@Suite("dibkit upload --cloud digitalocean", .serialized)
struct UploadCLITests {
    /// Runs the binary with the servers' URLs and credentials in the environment.
    static func upload(_ arguments: [String], image: URL, s3: MotoS3, api: FakeDigitalOcean,
                       environment: [String: String] = [:]) throws -> (status: Int32, stdout: String, stderr: String) {
        try DibkitBinary.run(
            ["upload", "--cloud", "digitalocean", image.path, "--region", "nyc3", "--space", "dibkit-test-space"] + arguments,
            environment: Self.environment(s3: s3, api: api).merging(environment) { $1 })
    }

    /// The credentials and endpoints of the test servers, as a user sets them.
    static func environment(s3: MotoS3, api: FakeDigitalOcean) -> [String: String] {
        [
            "DIGITALOCEAN_ACCESS_TOKEN": api.token, "DIGITALOCEAN_API_URL": api.url.absoluteString,
            "SPACES_ENDPOINT": s3.endpoint.absoluteString, "SPACES_ACCESS_KEY_ID": s3.accessKeyID,
            "SPACES_SECRET_ACCESS_KEY": s3.secretAccessKey,
        ]
    }

    /// No token, key, secret or signature-shaped text anywhere in `texts`.
    static func expectNoSecrets(_ texts: [String], s3: MotoS3, api: FakeDigitalOcean, also: [String] = []) {
        for text in texts {
            for secret in [api.token, s3.accessKeyID, s3.secretAccessKey] + also {
                #expect(!text.contains(secret), "a secret in the output:\n\(text)")
            }
            #expect(text.firstMatch(of: #/[0-9a-f]{64}/#) == nil || !text.contains("Signature"), "a signature in the output:\n\(text)")
            #expect(!text.contains("AWS4-HMAC-SHA256") && !text.lowercased().contains("bearer"), "credentials in the output:\n\(text)")
        }
    }

    @Test("an upload with copies and a firewall prints the image, a ready doctl line and no secret; writes user-data")
    func upload() async throws {
        let image = try TestImage()
        defer { image.remove() }
        try image.writeManifest()
        try await withTestClouds { s3, api in
            let run = try Self.upload(["--regions", "fra1", "--firewall", "--allow", "203.0.113.0/24", "--tags", "dibkit,redis"], image: image.qcow2, s3: s3, api: api)
            #expect(run.status == 0, "\(run.stderr)")
            #expect(run.stdout.contains("image 7000 redis-test: available in fra1, nyc3"))
            #expect(run.stdout.contains("firewall dibkit-redis (created): tcp 22, 6379 from 203.0.113.0/24"))
            let userData = image.qcow2.deletingPathExtension().appendingPathExtension("user-data")
            #expect(run.stdout.contains("doctl compute droplet create redis-test-1 --image 7000 --region nyc3 --size s-1vcpu-1gb"))
            #expect(run.stdout.contains("--user-data-file \(userData.path) --tag-name dibkit-redis --wait"))
            for phase in ["checking", "preparing", "staging", "importing", "cleaning", "copying", "firewall"] {
                #expect(run.stderr.contains("✓ \(phase)"), "no \(phase) in:\n\(run.stderr)")
            }
            let text = try String(contentsOf: userData, encoding: .utf8)
            #expect(text.hasPrefix("#cloud-config\n") && text.contains("redis: {port: 6379, password: \""))
            let mode = try FileManager.default.attributesOfItem(atPath: userData.path)[.posixPermissions] as? Int
            #expect(mode == 0o600)
            #expect(try api.schemaProblems() == [])
            Self.expectNoSecrets([run.stdout, run.stderr], s3: s3, api: api)
        }
    }

    @Test("--json prints one result object: image id, staged format, doctl line")
    func json() async throws {
        let image = try TestImage(size: 8 << 20, randomBytes: 1 << 20)
        defer { image.remove() }
        try await withTestClouds { s3, api in
            let tokenFile = image.folder.appendingPathComponent("token")
            try api.token.write(to: tokenFile, atomically: true, encoding: .utf8)
            let run = try Self.upload(["--json", "--token-file", tokenFile.path, "--name", "from-json"], image: image.raw, s3: s3, api: api,
                                      environment: ["DIGITALOCEAN_ACCESS_TOKEN": "dop_v1_not_this_one"])
            #expect(run.status == 0, "\(run.stderr)")
            #expect(run.stderr.isEmpty)
            let object = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
            #expect(object["imageID"] as? Int == 7000)
            #expect(object["name"] as? String == "from-json")
            #expect((object["staged"] as? [String: Any])?["kept"] as? Bool == false)
            #expect((object["doctl"] as? String)?.hasPrefix("doctl compute droplet create from-json-1 --image 7000") == true)
            Self.expectNoSecrets([run.stdout, run.stderr], s3: s3, api: api)
        }
    }

    @Test("a wrong Spaces secret fails with exit 1 and a hint naming the variable, never the secret or a signature")
    func wrongSecret() async throws {
        let image = try TestImage(size: 8 << 20, randomBytes: 1 << 20)
        defer { image.remove() }
        try await withTestClouds { s3, api in
            let wrong = "wrong/secret+" + String(repeating: "x", count: 20)
            let run = try Self.upload([], image: image.qcow2, s3: s3, api: api, environment: ["SPACES_SECRET_ACCESS_KEY": wrong])
            #expect(run.status == 1)
            #expect(run.stderr.contains("HEAD bucket dibkit-test-space: HTTP 403"))
            #expect(run.stderr.contains("SPACES_SECRET_ACCESS_KEY"))
            Self.expectNoSecrets([run.stdout, run.stderr], s3: s3, api: api, also: [wrong])
        }
    }

    @Test("missing credentials or a bad region exit 2 before any request", arguments: [
        (["DIGITALOCEAN_ACCESS_TOKEN": ""], [String](), "set DIGITALOCEAN_ACCESS_TOKEN or pass --token-file"),
        (["SPACES_ACCESS_KEY_ID": ""], [], "set SPACES_ACCESS_KEY_ID and SPACES_SECRET_ACCESS_KEY"),
        ([:], ["--regions", "atlantis1"], "unknown region atlantis1"),
        ([:], ["--firewall"], "--firewall needs --allow CIDR"),
    ])
    func refusedEarly(environment: [String: String], arguments: [String], message: String) async throws {
        let image = try TestImage(size: 2 << 20, randomBytes: 4096)
        defer { image.remove() }
        try image.writeManifest()
        try await withTestClouds { s3, api in
            let run = try Self.upload(arguments, image: image.qcow2, s3: s3, api: api, environment: environment)
            #expect(run.status == 2, "\(run.stderr)")
            #expect(run.stderr.contains(message), "\(run.stderr)")
            #expect(try api.requests().isEmpty)
            Self.expectNoSecrets([run.stdout, run.stderr], s3: s3, api: api)
        }
    }

    @Test("Ctrl-C during the import exits 130 and deletes the half-imported image and the staged object")
    func interrupt() async throws {
        let image = try TestImage(size: 8 << 20, randomBytes: 1 << 20)
        defer { image.remove() }
        try await withTestClouds(scenario: .never) { s3, api in
            let stderr = image.folder.appendingPathComponent("stderr")
            let process = try DibkitBinary.start(
                ["upload", "--cloud", "digitalocean", image.qcow2.path, "--region", "nyc3", "--space", "dibkit-test-space"],
                environment: Self.environment(s3: s3, api: api), workingDirectory: image.folder, stderr: stderr)
            while process.isRunning, !((try? String(contentsOf: stderr, encoding: .utf8)) ?? "").contains("import pending") {
                try await Task.sleep(for: .milliseconds(100))
            }
            let staged = try #require(try api.fetches().first?["url"] as? String)
            let key = try #require(URL(string: staged)?.path.split(separator: "/", maxSplits: 1).last.map(String.init))
            #expect(try s3ObjectExists(s3, key: key))
            kill(process.processIdentifier, SIGINT)
            process.waitUntilExit()
            let output = try String(contentsOf: stderr, encoding: .utf8)
            #expect(process.terminationStatus == 130, "\(output)")
            #expect(try api.requests().contains { $0["method"] as? String == "DELETE" && $0["path"] as? String == "/v2/images/7000" })
            #expect(try s3ObjectExists(s3, key: key) == false)
            Self.expectNoSecrets([output], s3: s3, api: api)
        }
    }

    /// Whether the object exists, asked with boto3's HEAD from the test venv.
    func s3ObjectExists(_ s3: MotoS3, key: String) throws -> Bool {
        let process = Process()
        process.executableURL = TestVenv.directory.appendingPathComponent("bin/python")
        process.arguments = ["-c", """
            import sys, boto3
            c = boto3.client("s3", endpoint_url=sys.argv[1], region_name="nyc3", aws_access_key_id=sys.argv[2], aws_secret_access_key=sys.argv[3])
            try:
                c.head_object(Bucket="dibkit-test-space", Key=sys.argv[4]); print(1)
            except c.exceptions.ClientError as error:
                print(0 if error.response["Error"]["Code"] == "404" else error)
            """, s3.endpoint.absoluteString, s3.accessKeyID, s3.secretAccessKey, key]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        switch text.trimmingCharacters(in: .whitespacesAndNewlines) {
        case "0": return false
        case "1": return true
        default: throw TestServerError("HEAD \(key): \(text)")
        }
    }
}
