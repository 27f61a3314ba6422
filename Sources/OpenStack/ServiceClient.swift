import AsyncHTTPClient
import CloudHTTP
import Foundation
import NIOCore
import NIOHTTP1

/// JSON over HTTP with one OpenStack service, through the shared `HTTPTransport` (retries, redaction):
/// statuses outside 200–299 become `OpenStackError.http` with the service's own message and what to do.
struct ServiceClient: Sendable {
    /// `Keystone`, `Glance`, `Nova`: the name errors and progress use.
    let service: String
    let transport: HTTPTransport
    /// Sent as `X-Auth-Token`; nil before authentication.
    let token: String?

    /// Sends `json` (if any) with `method` to `url` and returns the answer.
    /// - Parameters:
    ///   - operation: how errors and progress name the request, without ids (`PUT /v2/images/{id}/file`).
    ///   - idempotent: whether sending twice is harmless (retried after lost connections and 500/502/504).
    /// - Throws: `OpenStackError.http`, `ServiceUnreachable`.
    func send(
        _ method: String, _ url: URL, operation: String? = nil, json: Data? = nil, headers: [(String, String)] = [],
        idempotent: Bool = true
    ) async throws -> HTTPTransport.Response {
        try await send(method, url, operation: operation, headers: headers, idempotent: idempotent) {
            json.map { (.bytes(ByteBuffer(bytes: $0)), "application/json") }
        }
    }

    /// Sends the body `makeBody` gives (anew for each try, so a stream starts again from its first byte).
    func send(
        _ method: String, _ url: URL, operation: String? = nil, headers: [(String, String)] = [], idempotent: Bool,
        timeout: Duration = .seconds(120), body makeBody: @escaping @Sendable () throws -> (HTTPClientRequest.Body, String)?
    ) async throws -> HTTPTransport.Response {
        let operation = operation ?? "\(method) \(url.path)"
        let token = token
        let response = try await transport.send(service: service, operation: operation, idempotent: idempotent, timeout: timeout) {
            var request = HTTPClientRequest(url: url.absoluteString)
            request.method = HTTPMethod(rawValue: method)
            request.headers.add(name: "Accept", value: "application/json")
            if let token { request.headers.add(name: "X-Auth-Token", value: token) }
            for (name, value) in headers { request.headers.add(name: name, value: value) }
            if let (body, contentType) = try makeBody() {
                request.headers.add(name: "Content-Type", value: contentType)
                request.body = body
            }
            return request
        }
        guard (200..<300).contains(response.status) else {
            throw OpenStackError.http(
                method: method, url: url.absoluteString, status: response.status,
                message: transport.redactor.redact(Self.message(in: response.bodyData)),
                hint: Self.hint(service: service, status: response.status))
        }
        return response
    }

    /// OpenStack errors look like `{"badRequest": {"message": "…", "code": 400}}`, `{"error": {"message": …}}`
    /// or, from Glance, `{"message": "…", "code": "415 Unsupported Media Type", "title": …}`.
    static func message(in body: Data) -> String {
        if let object = try? JSONSerialization.jsonObject(with: body) as? [String: Any] {
            if let message = object["message"] as? String { return clean(message) }
            if let inner = object.values.first as? [String: Any], let message = inner["message"] as? String { return clean(message) }
        }
        let text = clean(String(decoding: body.prefix(500), as: UTF8.self))
        return text.isEmpty ? "(no message)" : text
    }

    /// Without webob's `<br /><br />` and surrounding white space.
    private static func clean(_ text: String) -> String {
        text.replacingOccurrences(of: "<br /><br />", with: " ").trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static func hint(service: String, status: Int) -> String? {
        switch (service, status) {
        case (_, 401): "the cloud refused the credentials: check the user, password or token, project and domains in clouds.yaml or OS_*"
        case ("Nova", 403): "not allowed: creating flavors needs the admin role"
        case ("Glance", 403):
            "not allowed: the user's role may not do this (public or community visibility needs admin; the cloud may "
                + "forbid uploads outside interoperable import: try --import)"
        case (_, 403): "not allowed: this needs a role the user lacks"
        case ("Glance", 409):
            "the image is not in a state that takes this (another upload to it, or it is active already): upload again as a new image"
        case (_, 409): "the cloud holds something conflicting of the same name or id"
        case ("Glance", 413): "the image is over the cloud's size limit or the project's image storage quota: free quota or ask the operator"
        case (_, 413): "the request is over a quota or size limit of the cloud"
        case ("Glance", 415):
            "Glance found the content does not match the disk format sent: check the file is the image it should be "
                + "(dibkit info IMAGE), or that the cloud accepts this format"
        case (_, 415): "the cloud refused the content type"
        case (_, 500...): "the cloud failed after retries; try again later, or ask its operator"
        default: nil
        }
    }
}

extension JSONSerialization {
    /// `object` as JSON bytes, keys sorted.
    static func body(_ object: [String: Any]) throws -> Data {
        try data(withJSONObject: object, options: [.sortedKeys])
    }
}
