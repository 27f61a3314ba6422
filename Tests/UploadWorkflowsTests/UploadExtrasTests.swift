import Foundation
import OpenStack
import UploadWorkflows
import ImagePatch
import TestSupport
import Testing

/// `dibkit upload --cloud openstack`'s keypair and Trove options around a stand-in for the Glance upload,
/// against `FakeOpenStack` (no appliance: the touches themselves are ImagePatchTests' `TouchedCopyTests`).
@Suite("upload --cloud openstack: keypair and Trove options around the upload")
final class UploadExtrasTests {
    static let imageID = "0b5c3a3e-2f7d-4c1e-9d0a-6a1b2c3d4e5f"

    /// An image file (never opened: nothing is touched) in a fresh folder, removed with the test.
    let image: URL

    init() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("dibkit-extras-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        image = folder.appendingPathComponent("redis-dib-2026-11-26.qcow2")
        try Data("not read".utf8).write(to: image)
    }

    deinit { try? FileManager.default.removeItem(at: image.deletingLastPathComponent()) }

    /// Extras registering the uploaded image as redis 7.0.
    static func redis70() -> OpenStackUploadExtras {
        var extras = OpenStackUploadExtras()
        extras.datastore = "redis"
        extras.datastoreVersion = "7.0"
        return extras
    }

    /// Runs `extras`; the upload stand-in records what it was given.
    func run(_ extras: OpenStackUploadExtras, server: FakeOpenStack, uploaded: Recorded = Recorded()) async throws -> OpenStackUploadExtras.Outcome {
        let clouds = try server.writeCloudsFile()
        let credentials = try CloudCredentials.load(cloud: "test", environment: ["OS_CLIENT_CONFIG_FILE": clouds.path])
        let (id, outcome) = try await KeystoneSession.with(credentials) { keystone in
            try await extras.run(image: image, credentials: credentials, keystone: keystone, progress: { _ in }, imageID: { $0 }) { file in
                uploaded.files.append(file)
                return Self.imageID
            }
        }
        #expect(id == Self.imageID)
        return outcome
    }

    final class Recorded: @unchecked Sendable { var files: [URL] = [] }

    @Test("--datastore redis --datastore-version 7.0 registers the uploaded image through Trove's API")
    func registersThroughTrove() async throws {
        let server = try FakeOpenStack(trove: true)
        let uploaded = Recorded()
        let outcome = try await run(Self.redis70(), server: server, uploaded: uploaded)
        #expect(uploaded.files == [image], "nothing to touch: the image itself goes up")
        #expect(outcome.datastoreVersionRegistered == "redis 7.0")
        let post = try #require(server.changes.last)
        #expect(post.verdict == "ok")
        let version = try #require(post.body?["version"] as? [String: Any])
        #expect(version["image"] as? String == Self.imageID && version["datastore_manager"] as? String == "redis")
        #expect(version["default"] as? Bool == true && version["packages"] as? [String] == [])
    }

    @Test("without a database endpoint the trove-manage commands are the result")
    func printsTroveManage() async throws {
        let server = try FakeOpenStack()
        var extras = Self.redis70()
        extras.datastorePackages = ["redis-server", "redis-tools"]
        extras.makeDefault = false
        let outcome = try await run(extras, server: server)
        #expect(outcome.troveManageCommands == [
            "trove-manage datastore_update redis ''",
            "trove-manage datastore_version_update redis 7.0 redis \(Self.imageID) redis-server,redis-tools 1",
        ])
        #expect(outcome.summary.first?.contains("no database endpoint") == true)
        #expect(server.changes.isEmpty)
    }

    @Test("an existing version or a non-admin stops before the upload", arguments: [false, true])
    func stopsBeforeUpload(asMember: Bool) async throws {
        let server = try FakeOpenStack(trove: true, troveSeed: asMember ? [] : [[
            "id": "11111111-2222-3333-4444-555555555555", "name": "7.0", "datastore_name": "redis",
        ]])
        let uploaded = Recorded()
        let extras = Self.redis70()
        let clouds = try server.writeCloudsFile(user: asMember ? "member" : "admin")
        let credentials = try CloudCredentials.load(cloud: "test", environment: ["OS_CLIENT_CONFIG_FILE": clouds.path])
        await #expect(throws: OpenStackError.self) {
            _ = try await KeystoneSession.with(credentials) { keystone in
                try await extras.run(image: image, credentials: credentials, keystone: keystone, progress: { _ in }, imageID: { $0 }) { file in
                    uploaded.files.append(file)
                    return Self.imageID
                }
            }
        }
        #expect(uploaded.files.isEmpty)
        #expect(server.changes.isEmpty)
    }

    @Test("-k without a manifest or --login-user is refused before the upload")
    func keypairNeedsLoginUser() async throws {
        let server = try FakeOpenStack(keypairs: ["ops": "ssh-ed25519 AAAA ops"])
        await #expect(throws: TouchError.loginUserUnknown(image: image.path)) {
            var extras = OpenStackUploadExtras()
            extras.keypair = "ops"
            _ = try await run(extras, server: server)
        }
    }
}
