import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// One JSON-over-HTTP exchange with an OpenStack service.
struct HTTPTransport: Sendable {
    let session: URLSession

    /// The answer: status, headers (names lower-cased) and body.
    struct Response: Sendable {
        let status: Int
        let headers: [String: String]
        let body: Data
    }

    /// Sends `body` (JSON) with `method` to `url` and returns the answer; statuses outside 200–299 become
    /// `OpenStackError.http` with the service's own message and a hint for the usual causes.
    func send(_ method: String, _ url: URL, token: String?, json body: Data? = nil) async throws -> Response {
        var request = URLRequest(url: url)
        request.httpMethod = method
        request.setValue("application/json", forHTTPHeaderField: "Accept")
        if let token { request.setValue(token, forHTTPHeaderField: "X-Auth-Token") }
        if let body {
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
            request.httpBody = body
        }
        let (data, answer) = try await session.data(for: request)
        guard let http = answer as? HTTPURLResponse else {
            throw OpenStackError.badResponse(url: url.absoluteString, reason: "not an HTTP answer")
        }
        var headers: [String: String] = [:]
        for (key, value) in http.allHeaderFields {
            if let key = key as? String, let value = value as? String { headers[key.lowercased()] = value }
        }
        guard (200..<300).contains(http.statusCode) else {
            throw OpenStackError.http(
                method: method, url: url.absoluteString, status: http.statusCode, message: Self.message(in: data),
                hint: Self.hint(for: http.statusCode))
        }
        return Response(status: http.statusCode, headers: headers, body: data)
    }

    /// OpenStack errors look like `{"badRequest": {"message": "…", "code": 400}}` or `{"error": {"message": …}}`.
    static func message(in body: Data) -> String {
        if let object = try? JSONSerialization.jsonObject(with: body) as? [String: Any],
           let inner = object.values.first as? [String: Any], let message = inner["message"] as? String {
            return message
        }
        let text = String(decoding: body.prefix(500), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return text.isEmpty ? "(no message)" : text
    }

    static func hint(for status: Int) -> String? {
        switch status {
        case 401: "the cloud refused the credentials: check the user, password, project and domains in clouds.yaml or OS_*"
        case 403: "not allowed: this needs a role the user lacks (creating flavors needs admin)"
        case 409: "the cloud holds something conflicting of the same name or id"
        case 413: "the request is over a quota or size limit of the cloud"
        case 415: "the cloud refused the content type"
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
