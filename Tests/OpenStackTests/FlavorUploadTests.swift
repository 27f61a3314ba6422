import Foundation
import OpenStack
import TestSupport
import Testing

/// Nova flavor upload against `FakeOpenStack`, whose every request body is checked against Nova's schema.
@Suite("Nova flavors against a schema-checking local Keystone and Nova")
struct FlavorUploadTests {
    static let wanted = [
        NovaFlavor(name: "redis.small", vcpus: 1, ramMB: 2048, diskGB: 5, ephemeralGB: 4,
                   extraSpecs: ["dibkit:database": "redis", "dibkit:backup_mb": "8192"]),
        NovaFlavor(name: "redis.large", vcpus: 4, ramMB: 32768, diskGB: 5, ephemeralGB: 64,
                   extraSpecs: ["dibkit:database": "redis", "dibkit:backup_mb": "131072"]),
    ]

    /// Runs `body` with Nova reached through the server's Keystone, as cloud `test` of its clouds.yaml.
    func withNova<T: Sendable>(_ server: FakeOpenStack, _ body: (NovaFlavors) async throws -> T) async throws -> T {
        let clouds = try server.writeCloudsFile()
        let credentials = try CloudCredentials.load(cloud: "test", environment: ["OS_CLIENT_CONFIG_FILE": clouds.path])
        return try await KeystoneSession.with(credentials) { try await body(try NovaFlavors(keystone: $0)) }
    }

    @Test("creates missing flavors with bodies Nova's schema accepts; a second upload leaves them alone")
    func createThenLeaveAlone() async throws {
        let server = try FakeOpenStack()
        try await withNova(server) { nova in
            let first = try await nova.upload(Self.wanted, replace: false)
            #expect(first.map(\.outcome) == [.created, .created])
            let posts = server.changes
            #expect(posts.count == 4, "a flavor and its extra specs each")
            #expect(posts.allSatisfy { $0.verdict == "ok" }, "\(posts.map(\.verdict))")
            let flavor = try #require(posts.first?.body?["flavor"] as? [String: Any])
            #expect(flavor["name"] as? String == "redis.small")
            #expect(flavor["ram"] as? Int == 2048 && flavor["vcpus"] as? Int == 1 && flavor["disk"] as? Int == 5)
            #expect(flavor["OS-FLV-EXT-DATA:ephemeral"] as? Int == 4)
            #expect((posts[1].body?["extra_specs"] as? [String: String]) == ["dibkit:database": "redis", "dibkit:backup_mb": "8192"])

            let second = try await nova.upload(Self.wanted, replace: false)
            #expect(second.map(\.outcome) == [.unchanged, .unchanged])
            #expect(server.changes.count == 4, "nothing more was sent")
        }
    }

    @Test("a flavor of the same name and another spec stops everything, unless replace")
    func differentSpec() async throws {
        let server = try FakeOpenStack(seed: [[
            "name": "redis.small", "vcpus": 1, "ram": 1024, "disk": 5, "OS-FLV-EXT-DATA:ephemeral": 4,
            "extra_specs": ["dibkit:database": "redis", "dibkit:backup_mb": "8192"],
        ]])
        try await withNova(server) { nova in
            await #expect(throws: OpenStackError.flavorsDiffer(["redis.small: ram 1024 → 2048 MB"])) {
                try await nova.upload(Self.wanted, replace: false)
            }
            #expect(server.changes.isEmpty, "not even the missing flavor was created")

            let replaced = try await nova.upload(Self.wanted, replace: true)
            #expect(replaced.map(\.outcome) == [.replaced, .created])
            #expect(server.changes.map(\.method) == ["DELETE", "POST", "POST", "POST", "POST"])
            #expect(server.changes.allSatisfy { $0.verdict == "ok" })
            #expect(try await nova.upload(Self.wanted, replace: false).map(\.outcome) == [.unchanged, .unchanged])
        }
    }

    @Test("the server really validates: bodies outside Nova's schema get Nova's 400", arguments: [
        NovaFlavor(name: "zero-ram", vcpus: 1, ramMB: 0, diskGB: 1, ephemeralGB: 0),
        NovaFlavor(name: " leading-space", vcpus: 1, ramMB: 512, diskGB: 1, ephemeralGB: 0),
        NovaFlavor(name: "negative-disk", vcpus: 1, ramMB: 512, diskGB: -1, ephemeralGB: 0),
    ])
    func schemaViolations(flavor: NovaFlavor) async throws {
        let server = try FakeOpenStack()
        _ = try await withNova(server) { nova in
            await #expect { try await nova.upload([flavor], replace: false) } throws: { error in
                guard case OpenStackError.http(let method, _, let status, let message, _) = error else { return false }
                return method == "POST" && status == 400 && message.hasPrefix("Invalid input for field/attribute flavor")
            }
        }
        #expect(server.changes.first?.verdict.hasPrefix("Invalid input") == true)
    }

    @Test("wrong credentials are Keystone's 401 with what to check")
    func wrongPassword() async throws {
        let server = try FakeOpenStack()
        let clouds = try server.writeCloudsFile(password: "wrong")
        let credentials = try CloudCredentials.load(cloud: "test", environment: ["OS_CLIENT_CONFIG_FILE": clouds.path])
        await #expect { try await KeystoneSession.with(credentials) { _ in } } throws: { error in
            guard case OpenStackError.http(_, _, 401, _, let hint) = error else { return false }
            return hint?.contains("credentials") == true
        }
    }

    @Test("the compute endpoint follows the interface and region asked for")
    func endpointSelection() async throws {
        let server = try FakeOpenStack()
        let clouds = try server.writeCloudsFile()
        var credentials = try CloudCredentials.load(cloud: "test", environment: ["OS_CLIENT_CONFIG_FILE": clouds.path])
        func computePath() async throws -> String {
            try await KeystoneSession.with(credentials) { try $0.endpoint(of: "compute").path }
        }
        #expect(try await computePath() == "/compute/v2.1")
        credentials.interface = "internal"
        #expect(try await computePath() == "/wrong-interface")
        credentials.interface = "public"
        credentials.region = "RegionTwo"
        #expect(try await computePath() == "/wrong-region")
        credentials.region = "RegionNine"
        try await KeystoneSession.with(credentials) { session in
            #expect(throws: OpenStackError.self) { try session.endpoint(of: "compute") }
            #expect(throws: OpenStackError.self) { try session.endpoint(of: "database") }
        }
    }
}
