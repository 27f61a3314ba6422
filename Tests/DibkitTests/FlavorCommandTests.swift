import Foundation
import TestSupport
import Testing

/// `dibkit flavor show|change|upload` as a user runs them: the real binary, a config folder of its own,
/// clouds.yaml pointing at `FakeOpenStack`.
@Suite("dibkit flavor: the binary, its config file and a schema-checking Nova")
struct FlavorCommandTests {
    /// Runs the built `dibkit` with extra environment; returns status, stdout, stderr.
    func dibkit(_ arguments: [String], environment: [String: String]) throws -> (status: Int32, out: String, err: String) {
        let result = try DibkitBinary.run(arguments, environment: environment)
        return (result.status, result.stdout, result.stderr)
    }

    @Test("show, change, -1 restore, upload, same spec left alone, changed spec refused, --replace")
    func roundTrip() async throws {
        let server = try FakeOpenStack()
        let environment = [
            "XDG_CONFIG_HOME": server.folder.appendingPathComponent("config").path,
            "OS_CLIENT_CONFIG_FILE": try server.writeCloudsFile().path, "OS_CLOUD": "test",
        ]
        let shown = try dibkit(["flavor", "show", "-d", "redis"], environment: environment)
        #expect(shown.status == 0)
        #expect(shown.out.contains("redis     small   1      2       5120     4096   8192       redis.small"), "\(shown.out)")

        let changed = try dibkit(["flavor", "change", "-d", "redis", "-f", "small", "-m", "4", "-c", "2"], environment: environment)
        #expect(changed.status == 0)
        let config = server.folder.appendingPathComponent("config/dibkit/flavors.yaml")
        #expect(try String(contentsOf: config, encoding: .utf8).contains("ram_gb: 4"))
        #expect(try dibkit(["flavor", "show", "-d", "redis", "-p"], environment: environment).out.contains("redis     small   1      2 "))
        #expect(try dibkit(["flavor", "change", "-d", "redis", "-f", "small", "-c", "-1"], environment: environment).out
            .contains("redis     small   1      4 "))

        let uploaded = try dibkit(["flavor", "upload", "-d", "redis"], environment: environment)
        #expect(uploaded.status == 0, "\(uploaded.err)")
        #expect(uploaded.out == "redis.small: created\nredis.medium: created\nredis.large: created\n")
        let small = try #require(server.changes.first?.body?["flavor"] as? [String: Any])
        #expect(small["ram"] as? Int == 4096 && small["vcpus"] as? Int == 1 && small["disk"] as? Int == 5)
        #expect(server.changes.allSatisfy { $0.verdict == "ok" }, "\(server.changes.map(\.verdict))")

        #expect(try dibkit(["flavor", "upload", "-d", "redis"], environment: environment).out.contains("redis.small: unchanged"))
        _ = try dibkit(["flavor", "change", "-d", "redis", "-f", "small", "-m", "-1"], environment: environment)
        let refused = try dibkit(["flavor", "upload", "-d", "redis"], environment: environment)
        #expect(refused.status == 1)
        #expect(refused.err.contains("redis.small: ram 4096 → 2048 MB") && refused.err.contains("--replace"), "\(refused.err)")
        let replaced = try dibkit(["flavor", "upload", "-d", "redis", "--replace"], environment: environment)
        #expect(replaced.status == 0 && replaced.out.hasPrefix("redis.small: replaced\nredis.medium: unchanged"), "\(replaced)")
    }

    @Test("an unknown database or flavor is bad input (exit 2)")
    func badInput() throws {
        let environment = ["XDG_CONFIG_HOME": FileManager.default.temporaryDirectory.appendingPathComponent("dibkit-none-\(UUID().uuidString.prefix(8))").path]
        #expect(try dibkit(["flavor", "show", "-d", "oracle"], environment: environment).status == 2)
        #expect(try dibkit(["flavor", "change", "-d", "redis", "-f", "huge", "-c", "2"], environment: environment).status == 2)
        #expect(try dibkit(["flavor", "change", "-d", "redis", "-f", "small"], environment: environment).status == 2)
    }
}
