public import Foundation

/// `python/fake_openstack.py` running on 127.0.0.1: Keystone's token endpoint, Nova's flavor and keypair
/// API and (with `trove`) Trove's datastore-version management API, checking request bodies against Nova's
/// and Trove's request schemas with jsonschema (from the test venv made by `scripts/setup-test-venv`).
public final class FakeOpenStack {
    public let folder: URL
    public let port: Int
    let log: URL
    private let server: PythonServer
    public var authURL: String { "http://127.0.0.1:\(port)/identity/v3" }

    /// Starts the server; `seed` flavors (Nova's JSON shape plus `extra_specs`), `keypairs` (name → public
    /// key) and `troveSeed` datastore versions (Trove's list shape) exist from the start; `trove` puts a
    /// `database` endpoint in the catalog.
    public init(
        seed: [[String: Any]] = [], keypairs: [String: String] = [:], trove: Bool = false,
        troveSeed: [[String: Any]] = []
    ) throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("dibkit-openstack-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let log = folder.appendingPathComponent("requests.jsonl")
        var arguments = ["--log", log.path]
        for (option, object, empty) in [("--seed", seed as Any, seed.isEmpty), ("--keypairs", keypairs, keypairs.isEmpty),
                                         ("--trove-seed", troveSeed, troveSeed.isEmpty)] where !empty {
            let file = folder.appendingPathComponent(option.dropFirst(2) + ".json")
            try JSONSerialization.data(withJSONObject: object).write(to: file)
            arguments += [option, file.path]
        }
        if trove { arguments.append("--trove") }
        do {
            server = try PythonServer(script: "fake_openstack.py", arguments: arguments)
        } catch {
            try? FileManager.default.removeItem(at: folder)
            throw error
        }
        port = server.port
        self.log = log
    }

    deinit {
        server.stop()
        try? FileManager.default.removeItem(at: folder)
    }

    /// A clouds.yaml naming this server as cloud `test` (region RegionOne, public interface); `extra` lines
    /// are added to the cloud's entry as they are.
    public func writeCloudsFile(password: String = "secret", user: String = "admin", extra: [String] = []) throws -> URL {
        let file = folder.appendingPathComponent("clouds.yaml")
        try Data("""
            clouds:
              test:
                region_name: RegionOne
            \(extra.map { "    \($0)\n" }.joined())    auth:
                  auth_url: \(authURL)
                  username: \(user)
                  password: \(password)
                  project_name: admin
                  user_domain_name: Default
                  project_domain_name: Default

            """.utf8).write(to: file)
        return file
    }

    /// One logged request: method, path, body, and the server's verdict (`ok` or why it refused).
    public struct Request {
        public let method: String
        public let path: String
        public let body: [String: Any]?
        public let verdict: String
    }

    /// Every request so far, in order.
    public var requests: [Request] {
        let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap { line in
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else { return nil }
            return Request(method: object["method"] as? String ?? "", path: object["path"] as? String ?? "",
                           body: object["body"] as? [String: Any], verdict: object["verdict"] as? String ?? "")
        }
    }

    /// Requests that change something (POST, DELETE) other than authentication.
    public var changes: [Request] { requests.filter { ($0.method == "POST" || $0.method == "DELETE") && !$0.path.contains("auth/tokens") } }
}

