import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import OpenStack
import TestSupport
import Testing

/// Nova keypairs and Trove's datastore-version registration against `FakeOpenStack`, which checks Trove's
/// bodies against Trove's published request schema.
@Suite("Nova keypairs and Trove datastore versions against a schema-checking local cloud")
struct TroveAndKeypairTests {
    static let key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIE0k0k0k0k0k0k0k0k0k0k0k0k0k0k0k0k0k0k0k0k0k ops@example"
    static let imageID = "0b5c3a3e-2f7d-4c1e-9d0a-6a1b2c3d4e5f"
    static let redis = TroveDatastoreVersion(
        datastore: "redis", version: "7.0", manager: "redis", imageID: imageID, packages: ["redis-server"])

    /// Runs `body` with a session of the server's Keystone, as `user` of cloud `test`.
    func withSession<T: Sendable>(
        _ server: FakeOpenStack, user: String = "admin", _ body: (KeystoneSession) async throws -> T
    ) async throws -> T {
        let clouds = try server.writeCloudsFile(user: user)
        let credentials = try CloudCredentials.load(cloud: "test", environment: ["OS_CLIENT_CONFIG_FILE": clouds.path])
        return try await KeystoneSession.with(credentials, body)
    }

    @Test("a keypair's public key comes from GET /os-keypairs/{name}; a missing one says how to list and add")
    func keypair() async throws {
        let server = try FakeOpenStack(keypairs: ["ops key": Self.key])
        try await withSession(server) { keystone in
            let keypairs = try NovaKeypairs(keystone: keystone)
            #expect(try await keypairs.publicKey(named: "ops key") == Self.key)
            #expect(server.requests.last?.path == "/compute/v2.1/os-keypairs/ops%20key")

            let missing = await #expect(throws: OpenStackError.noKeypair("nobody")) { try await keypairs.publicKey(named: "nobody") }
            #expect(missing?.description.contains("openstack keypair list") == true)
            await #expect(throws: OpenStackError.badKeypairName("../flavors")) { try await keypairs.publicKey(named: "../flavors") }
        }
        #expect(server.requests.filter { $0.path.contains("flavors") }.isEmpty, "a bad name sends nothing")
    }

    @Test("registration sends a body Trove's schema accepts, after checking the version is new")
    func register() async throws {
        let server = try FakeOpenStack(trove: true)
        try await withSession(server) { keystone in
            try await #require(TroveDatastores(keystone: keystone)).register(Self.redis)
        }

        let trovePath = "/database/v1.0/6f1b1e0c0de94c4c8a7e0d5c1a2b3c4d/mgmt/datastore-versions"
        let calls = server.requests.filter { $0.path.hasPrefix("/database/") }
        #expect(calls.map(\.method) == ["GET", "POST"])
        #expect(calls.allSatisfy { $0.path == trovePath && $0.verdict == "ok" }, "\(calls.map(\.verdict))")
        let body = try #require(calls.last?.body?["version"] as? [String: Any])
        #expect(body["name"] as? String == "7.0" && body["datastore_name"] as? String == "redis")
        #expect(body["datastore_manager"] as? String == "redis" && body["image"] as? String == Self.imageID)
        #expect(body["packages"] as? [String] == ["redis-server"])
        #expect(body["active"] as? Bool == true && body["default"] as? Bool == true)
        #expect(Set(body.keys) == ["name", "datastore_name", "datastore_manager", "image", "packages", "active", "default"])
    }

    @Test("an existing version is refused before any change, naming its id and how to delete it")
    func existingVersion() async throws {
        let server = try FakeOpenStack(trove: true, troveSeed: [[
            "id": "11111111-2222-3333-4444-555555555555", "name": "7.0", "datastore_name": "redis",
            "datastore_manager": "redis", "image": Self.imageID, "active": true,
        ]])
        let expected = OpenStackError.datastoreVersionExists(datastore: "redis", version: "7.0", id: "11111111-2222-3333-4444-555555555555")
        let error = try await withSession(server) { keystone in
            let trove = try #require(TroveDatastores(keystone: keystone))
            await #expect(throws: expected, "before the upload") { try await trove.preflight(Self.redis) }
            return await #expect(throws: expected) { try await trove.register(Self.redis) }
        }
        #expect(error?.description.contains("openstack datastore version delete 11111111-2222-3333-4444-555555555555") == true)
        #expect(server.changes.isEmpty)
        #expect(error?.isBadInput == true)
    }

    @Test("a user without the admin role gets what to do instead")
    func notAdmin() async throws {
        let server = try FakeOpenStack(trove: true)
        let expected = OpenStackError.notTroveAdmin(message: "User does not have admin privileges.")
        let error = try await withSession(server, user: "member") { keystone in
            let trove = try #require(TroveDatastores(keystone: keystone))
            await #expect(throws: expected, "before the upload") { try await trove.preflight(Self.redis) }
            return await #expect(throws: expected) { try await trove.register(Self.redis) }
        }
        #expect(error?.description.contains("trove-manage") == true)
        #expect(server.changes.isEmpty)
    }

    @Test("without a database endpoint there is no Trove client, and the trove-manage commands match trove-manage's argument order")
    func noDatabaseEndpoint() async throws {
        let server = try FakeOpenStack()
        #expect(try await withSession(server) { TroveDatastores(keystone: $0) == nil })
        #expect(Self.redis.manageCommands == [
            "trove-manage datastore_update redis ''",
            "trove-manage datastore_version_update redis 7.0 redis \(Self.imageID) redis-server 1",
            "trove-manage datastore_update redis 7.0",
        ])
        var notDefault = TroveDatastoreVersion(datastore: "my store", version: "7.0", manager: "redis", imageID: Self.imageID)
        notDefault.isDefault = false
        #expect(notDefault.manageCommands == [
            "trove-manage datastore_update 'my store' ''",
            "trove-manage datastore_version_update 'my store' 7.0 redis \(Self.imageID) '' 1",
        ])
    }

    @Test("fields Trove's schema refuses are refused before any request", arguments: [
        (TroveDatastoreVersion(datastore: "redis", version: "7.0", manager: "redis", imageID: "not-a-uuid"), "image"),
        (TroveDatastoreVersion(datastore: "redis", version: "--", manager: "redis", imageID: imageID), "--datastore-version"),
        (TroveDatastoreVersion(datastore: "", version: "7.0", manager: "redis", imageID: imageID), "--datastore"),
        (TroveDatastoreVersion(datastore: "redis", version: "7.0", manager: "redis", imageID: imageID, packages: ["a", "a"]),
         "--datastore-packages"),
    ])
    func badFields(version: TroveDatastoreVersion, field: String) async throws {
        #expect { try version.validate() } throws: { error in
            guard case OpenStackError.badDatastoreVersion(let named, _) = error else { return false }
            return named == field
        }
    }

    @Test("the server really validates: a body outside Trove's schema gets Trove's 400")
    func serverValidates() async throws {
        let server = try FakeOpenStack(trove: true)
        let clouds = try server.writeCloudsFile()
        let credentials = try CloudCredentials.load(cloud: "test", environment: ["OS_CLIENT_CONFIG_FILE": clouds.path])
        let (endpoint, token) = try await KeystoneSession.with(credentials) { (try $0.endpoint(of: "database"), $0.token) }
        var request = URLRequest(url: endpoint.appendingPathComponent("mgmt/datastore-versions"))
        request.httpMethod = "POST"
        request.setValue(token, forHTTPHeaderField: "X-Auth-Token")
        request.httpBody = Data(#"{"version": {"name": "7.0", "datastore_name": "redis", "datastore_manager": "redis", "active": "yes", "image": "x"}}"#.utf8)
        let (_, response) = try await URLSession.shared.data(for: request)
        #expect((response as? HTTPURLResponse)?.statusCode == 400)
        #expect(server.changes.last?.verdict.hasPrefix("Validation error") == true)
    }

    @Test("clouds.yaml's other scalar settings are kept for the caller (e.g. the Trove agent's)")
    func otherSettings() throws {
        let server = try FakeOpenStack()
        let clouds = try server.writeCloudsFile(extra: ["trove_control_exchange: trove-ex", "trove_transport_url: rabbit://u:p@mq:5672/"])
        let credentials = try CloudCredentials.load(cloud: "test", environment: ["OS_CLIENT_CONFIG_FILE": clouds.path])
        #expect(credentials.otherSettings == ["trove_control_exchange": "trove-ex", "trove_transport_url": "rabbit://u:p@mq:5672/"])
        #expect(credentials.secrets.contains("rabbit://u:p@mq:5672/"), "the queue's URL is kept out of errors")
    }
}
