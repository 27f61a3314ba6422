import AsyncHTTPClient
import Crypto
public import Foundation
import NIOCore
import NIOHTTP1
public import CloudHTTP

/// The few S3 calls staging needs, signed with SigV4, path-style (`ENDPOINT/BUCKET/KEY`), which Spaces and
/// moto both take.
public struct S3Client: Sendable {
    /// `https://nyc3.digitaloceanspaces.com`, or a test server.
    let endpoint: URL
    let signer: SigV4Signer
    let transport: HTTPTransport
    /// The name errors use ("Spaces").
    let serviceName: String

    public init(endpoint: URL, signer: SigV4Signer, transport: HTTPTransport, serviceName: String) {
        self.endpoint = endpoint
        self.signer = signer
        self.transport = transport
        self.serviceName = serviceName
    }

    /// Fails with a clear error unless the bucket exists and the keys may use it.
    public func checkBucket(_ bucket: String) async throws {
        let response = try await send("HEAD", bucket: bucket, operation: "HEAD bucket \(bucket)")
        guard response.status == 200 else {
            throw error(response, operation: "HEAD bucket \(bucket)", bucket: bucket)
        }
    }

    /// Size of an object, or nil if there is none.
    public func objectSize(bucket: String, key: String) async throws -> UInt64? {
        let response = try await send("HEAD", bucket: bucket, key: key, operation: "HEAD \(key)")
        if response.status == 404 { return nil }
        guard response.status == 200 else { throw error(response, operation: "HEAD \(key)", bucket: bucket) }
        return response.headers.first(name: "content-length").flatMap(UInt64.init)
    }

    /// Whether the object's ACL grants READ to everyone (`AllUsers`), which DigitalOcean's fetch needs.
    public func isPublicRead(bucket: String, key: String) async throws -> Bool {
        let response = try await send("GET", bucket: bucket, key: key, query: [("acl", "")], operation: "GET \(key)?acl")
        guard response.status == 200 else { throw error(response, operation: "GET \(key)?acl", bucket: bucket) }
        return S3XML.grants(in: response.bodyText).contains { $0.grantee.hasSuffix("/global/AllUsers") && $0.permission == "READ" }
    }

    public func deleteObject(bucket: String, key: String) async throws {
        let response = try await send("DELETE", bucket: bucket, key: key, operation: "DELETE \(key)")
        guard response.status == 204 || response.status == 200 || response.status == 404 else {
            throw error(response, operation: "DELETE \(key)", bucket: bucket)
        }
    }

    /// Signs and sends one request; `body` is hashed for the signature.
    func send(
        _ method: String, bucket: String, key: String? = nil, query: [(String, String)] = [],
        headers extra: [(String, String)] = [], body: ByteBuffer? = nil, idempotent: Bool = true,
        timeout: Duration = .seconds(120), operation: String
    ) async throws -> HTTPTransport.Response {
        let path = "/\(bucket)" + (key.map { "/\($0)" } ?? "")
        let payloadHash = body.map(Self.sha256Hex) ?? SigV4Signer.emptyPayloadHash
        let url = endpoint.absoluteString.trimmingSuffix("/") + SigV4Signer.encode(path, keepingSlashes: true)
            + (query.isEmpty ? "" : "?" + SigV4Signer.canonicalQuery(query.map { (name: $0.0, value: $0.1) }))
        let host = endpoint.port.map { "\(endpoint.host ?? ""):\($0)" } ?? (endpoint.host ?? "")
        return try await transport.send(service: serviceName, operation: operation, idempotent: idempotent, timeout: timeout) {
            let date = Date()
            var headers = extra + [("host", host), ("x-amz-date", SigV4Signer.timestamp(date)), ("x-amz-content-sha256", payloadHash)]
            let signable = SigV4Signer.Request(
                method: method, path: path, query: query.map { (name: $0.0, value: $0.1) },
                headers: headers.map { (name: $0.0, value: $0.1) }, payloadHash: payloadHash)
            headers.append(("authorization", signer.authorization(for: signable, at: date)))
            var request = HTTPClientRequest(url: url)
            request.method = HTTPMethod(rawValue: method)
            request.headers = HTTPHeaders(headers)
            if let body { request.body = .bytes(body) }
            return request
        }
    }

    private static func sha256Hex(_ buffer: ByteBuffer) -> String {
        var hasher = SHA256()
        buffer.withUnsafeReadableBytes { hasher.update(bufferPointer: $0) }
        return SigV4Signer.hex(hasher.finalize())
    }

    /// The error for an S3 error response: its code and message (never the echoed request), with a hint.
    func error(_ response: HTTPTransport.Response, operation: String, bucket: String) -> ServiceError {
        let code = S3XML.value(of: "Code", in: response.bodyText)
        let message = S3XML.value(of: "Message", in: response.bodyText)
        let detail = [code, message].compactMap { $0 }.joined(separator: ": ")
        return .service(
            name: serviceName, operation: operation, status: response.status,
            detail: transport.redactor.redact(detail), hint: Self.hint(code: code, status: response.status, bucket: bucket))
    }

    private static func hint(code: String?, status: Int, bucket: String) -> String? {
        switch code {
        case "SignatureDoesNotMatch": return "The secret key does not match the access key: check SPACES_SECRET_ACCESS_KEY"
        case "InvalidAccessKeyId": return "The access key is unknown: check SPACES_ACCESS_KEY_ID (Spaces keys, not the API token)"
        case "NoSuchBucket": return "There is no Space \(bucket) in this region: create it or pass --space with an existing one"
        case "AccessDenied": return "The Spaces key may not use \(bucket): give it read/write access to that Space"
        case "RequestTimeTooSkewed": return "This machine's clock is off: sync it (timedatectl, chrony)"
        case "PermanentRedirect", "AuthorizationHeaderMalformed":
            return "Space \(bucket) is in another region: pass that region as --region"
        default:
            switch status {
            case 301: return "Space \(bucket) is in another region: pass that region as --region"
            case 403: return "The Spaces keys were refused: check SPACES_ACCESS_KEY_ID and SPACES_SECRET_ACCESS_KEY"
            case 404: return "There is no Space \(bucket) in this region: create it or pass --space with an existing one"
            default: return nil
            }
        }
    }
}

