import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import CloudHTTP

/// The DigitalOcean API v2 calls an image upload makes, authenticated with a bearer token.
struct DigitalOceanAPI: Sendable {
    typealias Models = DigitalOceanModels

    /// `https://api.digitalocean.com`, or a test server.
    let baseURL: URL
    let token: String
    let transport: HTTPTransport

    /// Every region (the first call: it also proves the token works).
    func regions() async throws -> [Models.Region] {
        try await everyPage(of: Models.RegionPage.self, "/v2/regions")
    }

    func createCustomImage(_ request: Models.CustomImageRequest) async throws -> Models.Image {
        // Not sent again after a lost answer or a 500: a second import would make a second image.
        let envelope: Models.ImageEnvelope = try await call("POST", "/v2/images", body: request, idempotent: false)
        return envelope.image
    }

    func image(id: Int) async throws -> Models.Image {
        let envelope: Models.ImageEnvelope = try await call("GET", "/v2/images/\(id)", operation: "GET /v2/images/{id}")
        return envelope.image
    }

    func deleteImage(id: Int) async throws {
        _ = try await send("DELETE", "/v2/images/\(id)", body: nil as Models.TagRequest?, idempotent: true, operation: "DELETE /v2/images/{id}", accepting: [204, 404])
    }

    /// Starts copying an image to `region`.
    func transfer(imageID: Int, to region: String) async throws -> Models.Action {
        let envelope: Models.ActionEnvelope = try await call(
            "POST", "/v2/images/\(imageID)/actions", body: Models.TransferRequest(region: region), idempotent: false,
            operation: "POST /v2/images/{id}/actions")
        return envelope.action
    }

    func action(imageID: Int, actionID: Int) async throws -> Models.Action {
        let envelope: Models.ActionEnvelope = try await call(
            "GET", "/v2/images/\(imageID)/actions/\(actionID)", operation: "GET /v2/images/{id}/actions/{action_id}")
        return envelope.action
    }

    func firewalls() async throws -> [Models.Firewall] {
        try await everyPage(of: Models.FirewallPage.self, "/v2/firewalls")
    }

    func createFirewall(_ firewall: Models.Firewall) async throws -> Models.Firewall {
        let envelope: Models.FirewallEnvelope = try await call("POST", "/v2/firewalls", body: firewall.body, idempotent: false)
        return envelope.firewall
    }

    func updateFirewall(id: String, _ firewall: Models.Firewall) async throws -> Models.Firewall {
        let envelope: Models.FirewallEnvelope = try await call("PUT", "/v2/firewalls/\(id)", body: firewall.body, operation: "PUT /v2/firewalls/{id}")
        return envelope.firewall
    }

    /// Creates a tag; one that exists already is fine.
    func createTag(_ name: String) async throws {
        _ = try await send("POST", "/v2/tags", body: Models.TagRequest(name: name), idempotent: true, operation: "POST /v2/tags", accepting: [200, 201])
    }

    /// The items of every page of a list, 200 a page, following `links.pages.next`.
    private func everyPage<Page: DigitalOceanModels.ListPage>(of: Page.Type, _ path: String) async throws -> [Page.Item] {
        var items: [Page.Item] = []
        var page = 1
        while true {
            let result: Page = try await call("GET", "\(path)?per_page=200&page=\(page)", operation: "GET \(path)")
            items += result.items
            guard result.links?.pages?.next != nil, !result.items.isEmpty else { return items }
            page += 1
        }
    }

    private func call<Answer: Decodable>(_ method: String, _ path: String, operation: String? = nil) async throws -> Answer {
        try await call(method, path, body: nil as Models.TagRequest?, idempotent: true, operation: operation)
    }

    private func call<Answer: Decodable, Body: Encodable & Sendable>(
        _ method: String, _ path: String, body: Body?, idempotent: Bool = true, operation: String? = nil
    ) async throws -> Answer {
        let operation = operation ?? "\(method) \(path)"
        let response = try await send(method, path, body: body, idempotent: idempotent, operation: operation, accepting: [200, 201, 202])
        do {
            return try Self.decoder.decode(Answer.self, from: Data(response.body.readableBytesView))
        } catch {
            throw ServiceError.unreadableResponse(name: "DigitalOcean", operation: operation, reason: "\(error)")
        }
    }

    private func send<Body: Encodable & Sendable>(
        _ method: String, _ path: String, body: Body?, idempotent: Bool, operation: String, accepting: Set<Int>
    ) async throws -> HTTPTransport.Response {
        let url = baseURL.absoluteString.trimmingSuffix("/") + path
        let data = try body.map { try Self.encoder.encode($0) }
        let token = token
        let response = try await transport.send(service: "DigitalOcean", operation: operation, idempotent: idempotent, timeout: .seconds(60)) {
            var request = HTTPClientRequest(url: url)
            request.method = HTTPMethod(rawValue: method)
            request.headers.add(name: "Authorization", value: "Bearer \(token)")
            request.headers.add(name: "Accept", value: "application/json")
            if let data {
                request.headers.add(name: "Content-Type", value: "application/json")
                request.body = .bytes(ByteBuffer(bytes: data))
            }
            return request
        }
        guard accepting.contains(response.status) else { throw error(response, operation: operation) }
        return response
    }

    private func error(_ response: HTTPTransport.Response, operation: String) -> ServiceError {
        let body = try? Self.decoder.decode(Models.ErrorBody.self, from: Data(response.body.readableBytesView))
        let detail = [body?.id, body?.message].compactMap { $0 }.joined(separator: ": ")
        let hint: String? = switch response.status {
        case 401: "The API token was refused: check DIGITALOCEAN_ACCESS_TOKEN or --token-file"
        case 403: "The token lacks a scope this needs (image:create, image:read, image:update, firewall:create, firewall:update, tag:create, regions:read)"
        case 429: "DigitalOcean's rate limit still held after waiting; try again later"
        case 500...: "DigitalOcean failed; try again later"
        default: nil
        }
        return .service(name: "DigitalOcean", operation: operation, status: response.status,
                        detail: transport.redactor.redact(detail.isEmpty ? String(response.bodyText.prefix(200)) : detail), hint: hint)
    }

    private static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    private static var decoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return decoder
    }
}
