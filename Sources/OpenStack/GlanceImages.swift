import AsyncHTTPClient
import CloudHTTP
import Foundation

/// An image as Glance v2 describes it (the fields an upload looks at).
public struct GlanceImage: Sendable, Decodable, Equatable {
    public let id: String
    public let name: String?
    /// `queued`, `saving`, `uploading`, `importing`, `active`, `killed`, `deleted`.
    public let status: String
    public let diskFormat: String?
    public let size: UInt64?
    public let osHashAlgo: String?
    public let osHashValue: String?
    /// Stores an interoperable import failed to reach (Glance sets it when an import fails).
    public let failedImport: String?

    enum CodingKeys: String, CodingKey {
        case id, name, status, size
        case diskFormat = "disk_format"
        case osHashAlgo = "os_hash_algo"
        case osHashValue = "os_hash_value"
        case failedImport = "os_glance_failed_import"
    }
}

/// The Glance v2 calls an image upload makes, at the image endpoint of the catalog.
struct GlanceImages: Sendable {
    let glance: ServiceClient
    /// The endpoint without a trailing `/v2` (catalogs list either form).
    let endpoint: URL

    init(keystone: KeystoneSession) throws {
        glance = keystone.client("Glance")
        var endpoint = try keystone.endpoint(of: "image")
        while ["v2", "v2.0", ""].contains(endpoint.lastPathComponent), endpoint.path != "/", !endpoint.path.isEmpty {
            endpoint.deleteLastPathComponent()
        }
        self.endpoint = endpoint
    }

    /// The import methods the cloud offers (`GET /v2/info/import`): `glance-direct`, `web-download`, …
    func importMethods() async throws -> [String] {
        let response = try await glance.send("GET", url("info/import"))
        struct Info: Decodable {
            struct Methods: Decodable { let value: [String] }
            let importMethods: Methods
            enum CodingKeys: String, CodingKey { case importMethods = "import-methods" }
        }
        return try decode(Info.self, response, "GET /v2/info/import").importMethods.value
    }

    /// `POST /v2/images`: a queued image with these fields and string properties. Not sent again after a
    /// lost answer or a 500, which could make a second image.
    func create(_ fields: [String: Any]) async throws -> GlanceImage {
        let response = try await glance.send(
            "POST", url("images"), operation: "POST /v2/images", json: try JSONSerialization.body(fields), idempotent: false)
        return try decode(GlanceImage.self, response, "POST /v2/images")
    }

    func image(_ id: String) async throws -> GlanceImage {
        try decode(GlanceImage.self, try await glance.send("GET", url("images/\(id)"), operation: "GET /v2/images/{id}"), "GET /v2/images/{id}")
    }

    /// `DELETE /v2/images/{id}`; an image already gone is fine.
    func delete(_ id: String) async throws {
        do {
            _ = try await glance.send("DELETE", url("images/\(id)"), operation: "DELETE /v2/images/{id}")
        } catch OpenStackError.http(_, _, 404, _, _) {
            return
        }
    }

    /// Sends the image's bytes: `PUT /v2/images/{id}/file` (plain upload) or `PUT /v2/images/{id}/stage`
    /// (interoperable import). Each try streams the file again from its start.
    func send(_ file: ImageFileStream, to id: String, staging: Bool) async throws {
        let path = staging ? "stage" : "file"
        // A broken upload leaves the image queued again, so sending the whole file once more is safe. A try
        // may take as long as the file needs at 1 MiB/s, and at least ten minutes.
        let timeout = Duration.seconds(max(600, Int64(file.size >> 20)))
        _ = try await glance.send(
            "PUT", url("images/\(id)/\(path)"), operation: "PUT /v2/images/{id}/\(path)", idempotent: true, timeout: timeout
        ) {
            (.stream(file.restarted(), length: .known(Int64(file.size))), "application/octet-stream")
        }
    }

    /// `POST /v2/images/{id}/import` with `glance-direct`: Glance moves the staged bytes to its store.
    func importStaged(_ id: String) async throws {
        let body = try JSONSerialization.body(["method": ["name": "glance-direct"]])
        _ = try await glance.send("POST", url("images/\(id)/import"), operation: "POST /v2/images/{id}/import", json: body)
    }

    private func url(_ path: String) -> URL { endpoint.appendingPathComponent("v2/" + path) }

    private func decode<T: Decodable>(_ type: T.Type, _ response: HTTPTransport.Response, _ operation: String) throws -> T {
        do {
            return try JSONDecoder().decode(type, from: response.bodyData)
        } catch {
            throw OpenStackError.badResponse(url: operation, reason: "\(error)")
        }
    }
}
