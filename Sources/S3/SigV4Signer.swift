public import Crypto
public import Foundation
import CloudHTTP

/// AWS Signature Version 4 for request headers, as S3 and DigitalOcean Spaces check it
/// (docs.aws.amazon.com, "Authenticating Requests: Using the Authorization Header"). Paths are encoded
/// once, as S3 wants (other AWS services encode twice).
///
///     CanonicalRequest = METHOD \n URI \n QUERY \n HEADERS \n SIGNED-HEADERS \n PAYLOAD-HASH
///     StringToSign     = AWS4-HMAC-SHA256 \n TIMESTAMP \n DATE/REGION/SERVICE/aws4_request \n SHA256(CanonicalRequest)
///     SigningKey       = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, DATE), REGION), SERVICE), "aws4_request")
///     Signature        = hex(HMAC(SigningKey, StringToSign))
public struct SigV4Signer: Sendable {
    /// An access key pair. Its descriptions never show the values.
    public struct Credentials: Sendable, CustomStringConvertible, CustomDebugStringConvertible {
        public let accessKeyID: String
        public let secretAccessKey: String

        public init(accessKeyID: String, secretAccessKey: String) {
            self.accessKeyID = accessKeyID
            self.secretAccessKey = secretAccessKey
        }

        public var description: String { "Credentials(\(SecretRedactor.mask))" }
        public var debugDescription: String { description }
    }

    /// A request as the signature sees it: names and values not yet percent-encoded.
    public struct Request: Sendable {
        public var method: String
        public var path: String
        public var query: [(name: String, value: String)]
        /// Every header to sign, `host` and `x-amz-date` included.
        public var headers: [(name: String, value: String)]
        /// Hex SHA-256 of the body (`emptyPayloadHash` for none).
        public var payloadHash: String

        public init(method: String, path: String, query: [(name: String, value: String)] = [],
                    headers: [(name: String, value: String)], payloadHash: String = SigV4Signer.emptyPayloadHash) {
            self.method = method
            self.path = path
            self.query = query
            self.headers = headers
            self.payloadHash = payloadHash
        }
    }

    /// SHA-256 of no bytes.
    public static let emptyPayloadHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

    public let credentials: Credentials
    public let region: String
    public let service: String

    public init(credentials: Credentials, region: String, service: String = "s3") {
        self.credentials = credentials
        self.region = region
        self.service = service
    }

    /// The `Authorization` header value for `request` signed at `date` (which must be the request's
    /// `x-amz-date`).
    public func authorization(for request: Request, at date: Date) -> String {
        let (_, signedHeaders) = canonicalRequest(request)
        return "AWS4-HMAC-SHA256 Credential=\(credentials.accessKeyID)/\(scope(at: date)), "
            + "SignedHeaders=\(signedHeaders), Signature=\(signature(for: request, at: date))"
    }

    /// The hex signature of `request` at `date`.
    public func signature(for request: Request, at date: Date) -> String {
        let key = signingKey(day: Self.day(of: date))
        return Self.hex(HMAC<SHA256>.authenticationCode(for: Data(stringToSign(request, at: date).utf8), using: key))
    }

    /// The canonical request text and the `;`-joined names of the signed headers.
    public func canonicalRequest(_ request: Request) -> (text: String, signedHeaders: String) {
        var headers: [String: [String]] = [:]
        for (name, value) in request.headers {
            let trimmed = value.split(whereSeparator: \.isWhitespace).joined(separator: " ")
            headers[name.lowercased(), default: []].append(trimmed)
        }
        let names = headers.keys.sorted()
        let canonicalHeaders = names.map { "\($0):\(headers[$0]!.joined(separator: ","))\n" }.joined()
        let signedHeaders = names.joined(separator: ";")
        let text = [
            request.method, Self.encode(request.path, keepingSlashes: true), Self.canonicalQuery(request.query),
            canonicalHeaders, signedHeaders, request.payloadHash,
        ].joined(separator: "\n")
        return (text, signedHeaders)
    }

    /// The string the signing key signs.
    public func stringToSign(_ request: Request, at date: Date) -> String {
        let hash = Self.hex(SHA256.hash(data: Data(canonicalRequest(request).text.utf8)))
        return "AWS4-HMAC-SHA256\n\(Self.timestamp(date))\n\(scope(at: date))\n\(hash)"
    }

    /// The key derived from the secret for one day, region and service.
    public func signingKey(day: String) -> SymmetricKey {
        var key = SymmetricKey(data: Data("AWS4\(credentials.secretAccessKey)".utf8))
        for part in [day, region, service, "aws4_request"] {
            key = SymmetricKey(data: Data(HMAC<SHA256>.authenticationCode(for: Data(part.utf8), using: key)))
        }
        return key
    }

    private func scope(at date: Date) -> String { "\(Self.day(of: date))/\(region)/\(service)/aws4_request" }
}
