public import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A real Keystone and a real Glance from PyPI on 127.0.0.1 (`python/openstack_servers.py`), in a temporary
/// folder removed by `stop()`. The image service's catalog: RegionOne public is Glance; RegionOne internal
/// and RegionTwo public go through a proxy that logs requests and fails the ones `failing` names.
public final class RealOpenStack: Sendable {
    /// Keystone's v3 URL, for `auth_url`.
    public let authURL: String
    public let glance: URL
    public let username: String
    public let password: String
    public let project: String
    public let applicationCredentialID: String
    public let applicationCredentialSecret: String
    /// The folder holding the servers' state and the clouds.yaml `writeCloudsFile` makes.
    public let folder: URL
    private let proxyLog: URL
    private let server: PythonServer

    /// - Parameter failing: proxy rules `METHOD PATH_SUFFIX STATUS COUNT`, e.g. `PUT /file 503 1`; `*` matches
    ///   any path, STATUS `stall` holds the request ten minutes (a cloud that stopped answering).
    public init(failing: [String] = []) throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("dibkit-openstack-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        do {
            server = try PythonServer(script: "openstack_servers.py", arguments: ["--dir", folder.path] + failing.flatMap { ["--fail", $0] })
        } catch {
            try? FileManager.default.removeItem(at: folder)
            throw error
        }
        let greeting = server.greeting
        func text(_ key: String) -> String { greeting[key] as? String ?? "" }
        authURL = text("keystone")
        glance = URL(string: text("glance"))!
        proxyLog = URL(fileURLWithPath: text("proxy_log"))
        username = text("username")
        password = text("password")
        project = text("project_name")
        applicationCredentialID = text("application_credential_id")
        applicationCredentialSecret = text("application_credential_secret")
    }

    /// Stops every server and removes the folder.
    public func stop() {
        server.stop()
        try? FileManager.default.removeItem(at: folder)
    }

    /// Writes `clouds.yaml` in the folder: cloud `devstack` (password, RegionOne, public), `internal` (the
    /// same through the internal interface), `region-two`, `app-credential`, and `token` with `token`.
    public func writeCloudsFile(password: String? = nil, token: String = "none") throws -> URL {
        let file = folder.appendingPathComponent("clouds.yaml")
        let user = "auth_url: \(authURL), username: \(username), password: \"\(password ?? self.password)\", project_name: \(project), "
            + "user_domain_name: Default, project_domain_name: Default"
        try Data("""
            clouds:
              devstack:
                region_name: RegionOne
                auth: {\(user)}
              internal:
                region_name: RegionOne
                interface: internal
                auth: {\(user)}
              region-two:
                region_name: RegionTwo
                auth: {\(user)}
              app-credential:
                auth_type: v3applicationcredential
                auth: {auth_url: \(authURL), application_credential_id: \(applicationCredentialID), application_credential_secret: \(applicationCredentialSecret)}
              token:
                auth_type: token
                auth: {auth_url: \(authURL), token: \(token), project_name: \(project), project_domain_name: Default}

            """.utf8).write(to: file)
        return file
    }

    /// Requests that went through the proxy: method, path, status, and `injected` for the failed ones.
    public func proxyRequests() -> [[String: Any]] {
        let text = (try? String(contentsOf: proxyLog, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }

    /// A token for the admin project, made with the test's own request (not dibkit's code).
    public func token() async throws -> String {
        let body: [String: Any] = ["auth": [
            "identity": ["methods": ["password"], "password": ["user": [
                "name": username, "domain": ["id": "default"], "password": password]]],
            "scope": ["project": ["name": project, "domain": ["id": "default"]]],
        ]]
        let (_, response) = try await call("POST", URL(string: authURL + "/auth/tokens")!, json: body)
        guard let token = response.value(forHTTPHeaderField: "X-Subject-Token") else { throw TestServerError("Keystone gave no token") }
        return token
    }

    /// The image as Glance's API shows it.
    public func image(_ id: String) async throws -> [String: Any] {
        let (data, _) = try await call("GET", glance.appendingPathComponent("v2/images/\(id)"), token: try await token())
        return try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
    }

    /// Every image Glance lists.
    public func images() async throws -> [[String: Any]] {
        let (data, _) = try await call("GET", glance.appendingPathComponent("v2/images"), token: try await token())
        return (try JSONSerialization.jsonObject(with: data) as? [String: Any])?["images"] as? [[String: Any]] ?? []
    }

    /// The image's bytes, downloaded through Glance's API.
    public func download(_ id: String) async throws -> Data {
        try await call("GET", glance.appendingPathComponent("v2/images/\(id)/file"), token: try await token()).0
    }

    private func call(_ method: String, _ url: URL, token: String? = nil, json: [String: Any]? = nil) async throws -> (Data, HTTPURLResponse) {
        var request = URLRequest(url: url)
        request.httpMethod = method
        if let token { request.setValue(token, forHTTPHeaderField: "X-Auth-Token") }
        if let json {
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
            request.httpBody = try JSONSerialization.data(withJSONObject: json)
        }
        let (data, response) = try await URLSession.shared.data(for: request)
        guard let http = response as? HTTPURLResponse, (200..<300).contains(http.statusCode) else {
            throw TestServerError("\(method) \(url) answered \((response as? HTTPURLResponse)?.statusCode ?? 0): \(String(decoding: data, as: UTF8.self))")
        }
        return (data, http)
    }
}

/// Keystone and Glance for the length of `body`, stopped and removed however it ends.
public func withRealOpenStack<T>(failing: [String] = [], _ body: (RealOpenStack) async throws -> T) async throws -> T {
    let cloud = try RealOpenStack(failing: failing)
    defer { cloud.stop() }
    return try await body(cloud)
}
