import Foundation
import TestSupport
import Testing

/// `dibkit upload --cloud openstack` as a user runs it: the real binary against a real Keystone and Glance,
/// its whole output checked for secrets.
@Suite("dibkit upload --cloud openstack", .serialized)
struct UploadOpenStackCLITests {
    /// Runs the binary with the servers' clouds.yaml picked by `OS_CLIENT_CONFIG_FILE` and `OS_CLOUD`.
    static func upload(_ arguments: [String], cloud: RealOpenStack, name: String = "devstack",
                       password: String? = nil) throws -> (status: Int32, stdout: String, stderr: String) {
        let clouds = try cloud.writeCloudsFile(password: password)
        return try DibkitBinary.run(["upload", "--cloud", "openstack"] + arguments,
                                    environment: ["OS_CLIENT_CONFIG_FILE": clouds.path, "OS_CLOUD": name])
    }

    /// No password, application credential secret or Keystone token anywhere in `texts`.
    static func expectNoSecrets(_ texts: [String], cloud: RealOpenStack, also: [String] = []) {
        for text in texts {
            for secret in [cloud.password, cloud.applicationCredentialSecret] + also {
                #expect(!text.contains(secret), "a secret in the output:\n\(text)")
            }
            #expect(text.firstMatch(of: #/gAAAAA[A-Za-z0-9_=-]{20,}/#) == nil, "a token in the output:\n\(text)")
        }
    }

    @Test("an upload with the manifest's properties prints phases and the image id last, and no secret; --json one object")
    func upload() async throws {
        let image = try TestImage()
        defer { image.remove() }
        try image.writeManifest()
        try await withRealOpenStack { cloud in
            let run = try Self.upload([image.qcow2.path, "--property", "hw_rng_model=virtio"], cloud: cloud)
            #expect(run.status == 0, "\(run.stderr)")
            let id = try #require(run.stdout.split(separator: "\n").last.map(String.init))
            let stored = try await cloud.image(id)
            #expect(stored["status"] as? String == "active" && stored["name"] as? String == "redis-test")
            #expect(stored["os_distro"] as? String == "debian" && stored["hw_rng_model"] as? String == "virtio")
            #expect(stored["sw_database_redis_listen_port"] as? String == "6379")
            for phase in ["checking", "creating", "uploading", "verifying"] {
                #expect(run.stderr.contains("✓ \(phase)"), "no \(phase) in:\n\(run.stderr)")
            }
            #expect(run.stdout.contains("SHA-512 checked against Glance's"))

            let json = try Self.upload([image.raw.path, "--json", "--import", "--name", "raw-json"], cloud: cloud, name: "app-credential")
            #expect(json.status == 0, "\(json.stderr)")
            #expect(json.stderr.isEmpty)
            let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
            #expect(object["diskFormat"] as? String == "raw" && object["method"] as? String == "glance-direct")
            #expect(object["status"] as? String == "active" && (object["sha512"] as? String)?.count == 128)
            Self.expectNoSecrets([run.stdout, run.stderr, json.stdout, json.stderr], cloud: cloud)
        }
    }

    @Test("--datastore on a cloud without Trove uploads, then prints the trove-manage commands for the new image; --json carries them")
    func troveManageCommands() async throws {
        let image = try TestImage(size: 2 << 20, randomBytes: 4096)
        defer { image.remove() }
        try image.writeManifest()
        try await withRealOpenStack { cloud in
            let run = try Self.upload([image.qcow2.path, "--datastore", "redis", "--datastore-version", "7.0"], cloud: cloud)
            #expect(run.status == 0, "\(run.stderr)")
            let id = try #require(run.stdout.split(separator: "\n").last.map(String.init))
            #expect(try await cloud.image(id)["status"] as? String == "active")
            #expect(run.stdout.contains("no database endpoint"), "\(run.stdout)")
            #expect(run.stdout.contains("trove-manage datastore_version_update redis 7.0 redis \(id) '' 1"), "\(run.stdout)")
            #expect(run.stdout.contains("trove-manage datastore_update redis 7.0"), "\(run.stdout)")

            let json = try Self.upload([image.raw.path, "--json", "--name", "raw-trove", "--datastore", "redis",
                                        "--datastore-version", "7.0", "--not-default"], cloud: cloud)
            #expect(json.status == 0, "\(json.stderr)")
            let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
            let rawID = try #require(object["imageID"] as? String)
            let extras = try #require(object["extras"] as? [String: Any])
            let commands = try #require(extras["troveManageCommands"] as? [String])
            #expect(commands.count == 2 && commands[1].contains("redis 7.0 redis \(rawID) "), "\(commands)")
        }
    }

    @Test("the per-cloud and Trove options are refused for --cloud digitalocean before anything is read")
    func extrasOnlyForOpenStack() throws {
        let run = try DibkitBinary.run(["upload", "--cloud", "digitalocean", "/nonexistent/redis.qcow2", "--region", "nyc3",
                                        "--space", "images", "--datastore", "redis", "--datastore-version", "7.0"])
        #expect(run.status == 64)
        #expect(run.stderr.contains("--datastore is for --cloud openstack, not --cloud digitalocean"), "\(run.stderr)")
    }

    @Test("an image with a backing file exits 2 naming it, before Keystone is asked")
    func backingFile() throws {
        let image = try TestImage(size: 2 << 20, randomBytes: 4096)
        defer { image.remove() }
        let overlay = try image.overlay(backedBy: "/etc/shadow")
        // Keystone at a closed port: an upload that got past the check would fail there instead.
        let run = try DibkitBinary.run(["upload", "--cloud", "openstack", overlay.path], environment: [
            "OS_CLOUD": "", "OS_CLIENT_CONFIG_FILE": "/nonexistent/clouds.yaml", "OS_AUTH_URL": "http://127.0.0.1:9/v3",
            "OS_USERNAME": "demo", "OS_PASSWORD": "secret", "OS_PROJECT_NAME": "demo",
            "OS_USER_DOMAIN_NAME": "Default", "OS_PROJECT_DOMAIN_NAME": "Default",
        ])
        #expect(run.status == 2, "\(run.stderr)")
        #expect(run.stderr.contains("backing file /etc/shadow") && run.stderr.contains("flatten it with dibkit convert first"), "\(run.stderr)")
    }

    @Test("a wrong password exits 1 with Keystone's 401 and what to check, never the password")
    func wrongPassword() async throws {
        let image = try TestImage(size: 2 << 20, randomBytes: 4096)
        defer { image.remove() }
        try await withRealOpenStack { cloud in
            let wrong = "wrong-password-" + String(repeating: "z", count: 12)
            let run = try Self.upload([image.raw.path], cloud: cloud, password: wrong)
            #expect(run.status == 1, "\(run.stderr)")
            #expect(run.stderr.contains("answered 401") && run.stderr.contains("check the user, password"), "\(run.stderr)")
            Self.expectNoSecrets([run.stdout, run.stderr], cloud: cloud, also: [wrong])
        }
    }

    @Test("Ctrl-C while the upload is retried exits 130 and deletes the unfinished image")
    func interrupt() async throws {
        let image = try TestImage(size: 8 << 20, randomBytes: 1 << 20)
        defer { image.remove() }
        try await withRealOpenStack(failing: ["PUT /file 503 50"]) { cloud in
            let (process, stderr) = try await Self.uploadUntilRetried(image, to: cloud)
            #expect(try await cloud.images().count == 1, "the image exists while its upload is retried")
            kill(process.processIdentifier, SIGINT)
            process.waitUntilExit()
            let output = try String(contentsOf: stderr, encoding: .utf8)
            #expect(process.terminationStatus == 130, "\(output)")
            let left = try await cloud.images()
            #expect(left.isEmpty, "the unfinished image was deleted")
            Self.expectNoSecrets([output], cloud: cloud)
        }
    }
}

extension UploadOpenStackCLITests {
    /// Starts `dibkit upload` of `image` through the cloud's failing proxy and returns once it retries a request.
    static func uploadUntilRetried(_ image: TestImage, to cloud: RealOpenStack) async throws -> (process: Process, stderr: URL) {
        let clouds = try cloud.writeCloudsFile()
        let stderr = image.folder.appendingPathComponent("stderr")
        let process = try DibkitBinary.start(
            ["upload", "--cloud", "openstack", image.qcow2.path, "--os-cloud", "internal"],
            environment: ["OS_CLIENT_CONFIG_FILE": clouds.path], workingDirectory: image.folder, stderr: stderr)
        while process.isRunning, !((try? String(contentsOf: stderr, encoding: .utf8)) ?? "").contains("↻") {
            try await Task.sleep(for: .milliseconds(100))
        }
        return (process, stderr)
    }

    @Test("Ctrl-C when the cloud stops answering the cleanup: 130 within 10 s, the abandoned deletion said")
    func interruptWithAStalledCleanup() async throws {
        let image = try TestImage(size: 8 << 20, randomBytes: 1 << 20)
        defer { image.remove() }
        try await withRealOpenStack(failing: ["PUT /file 503 50", "DELETE * stall 1"]) { cloud in
            let (process, stderr) = try await Self.uploadUntilRetried(image, to: cloud)
            let signalled = ContinuousClock.now
            kill(process.processIdentifier, SIGINT)
            process.waitUntilExit()
            let took = ContinuousClock.now - signalled
            let output = try String(contentsOf: stderr, encoding: .utf8)
            #expect(process.terminationStatus == 130, "\(output)")
            #expect(took < .seconds(10), "dibkit took \(took) to exit after Ctrl-C")
            let images = try await cloud.images()
            #expect(images.count == 1, "the stalled deletion left the image")
            #expect(output.contains("deleting the unfinished image \(images.first?["id"] as? String ?? "?")"), "\(output)")
            #expect(output.contains("the cleanup was abandoned (it took more than 8 s)"), "\(output)")
        }
    }
}

/// The Trove agent's transport URL from argv, a file, the environment or clouds.yaml, checked before anything
/// is sent: against a cloud whose Keystone nobody answers, so a check that came too late would fail differently.
extension UploadOpenStackCLITests {
    static let transportURL = "rabbit://trove:mq-\(UUID().uuidString.prefix(8))@10.0.0.5:5672/"

    /// Runs `dibkit upload --cloud openstack IMAGE arguments` with a clouds.yaml for a Keystone on a closed port
    /// (with `trove_transport_url` when `inCloudsFile`), in a folder that also holds `transport-url` (the URL).
    static func uploadToNobody(_ arguments: [String], environment: [String: String] = [:], inCloudsFile: Bool = false)
        throws -> (status: Int32, stdout: String, stderr: String)
    {
        let folder = try TemporaryFolder()
        let image = folder.appendingPathComponent("redis.qcow2")
        try Data("not an image".utf8).write(to: image)
        try Data((transportURL + "\n").utf8).write(to: folder.appendingPathComponent("transport-url"))
        let clouds = folder.appendingPathComponent("clouds.yaml")
        try Data("""
            clouds:
              nobody:
                auth: {auth_url: "http://127.0.0.1:9/v3", username: u, password: nobody-pw, project_name: x}
            \(inCloudsFile ? "    trove_transport_url: \"\(transportURL)\"\n" : "")
            """.utf8).write(to: clouds)
        return try DibkitBinary.run(
            ["upload", "--cloud", "openstack", image.path] + arguments,
            environment: ["OS_CLIENT_CONFIG_FILE": clouds.path, "OS_CLOUD": "nobody"].merging(environment) { $1 },
            workingDirectory: folder.url)
    }

    @Test("a Trove transport URL from any source with --visibility public, community or shared is refused with exit 2, saying why",
          arguments: [
              (["--visibility", "public", "--trove-transport-url", transportURL], [:], false),
              (["--visibility", "community", "--trove-transport-url-file", "transport-url"], [:], false),
              (["--visibility", "shared"], ["DIBKIT_TROVE_TRANSPORT_URL": transportURL], false),
              (["--visibility", "public"], [:], true),
          ] as [([String], [String: String], Bool)])
    func transportURLOnlyForPrivateImages(arguments: [String], environment: [String: String], inCloudsFile: Bool) throws {
        let run = try Self.uploadToNobody(arguments, environment: environment, inCloudsFile: inCloudsFile)
        #expect(run.status == 2, "\(run.stderr)")
        #expect(run.stderr.contains("holds the message queue's password"), "\(run.stderr)")
        #expect(run.stderr.contains("--visibility \(arguments[1])"), "\(run.stderr)")
        #expect(!run.stderr.contains(Self.transportURL) && !run.stdout.contains(Self.transportURL))
    }

    @Test("--trove-transport-url-file that cannot be read exits 2 naming the file")
    func unreadableTransportURLFile() throws {
        let run = try Self.uploadToNobody(["--trove-transport-url-file", "no-such-file"])
        #expect(run.status == 2, "\(run.stderr)")
        #expect(run.stderr.contains("--trove-transport-url-file") && run.stderr.contains("no-such-file"), "\(run.stderr)")
    }
}
