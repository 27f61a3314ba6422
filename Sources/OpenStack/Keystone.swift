public import CloudHTTP
public import Foundation

/// A Keystone v3 token with its service catalog: the way into every other service of the cloud.
public struct KeystoneSession: Sendable {
    /// The token, sent as `X-Auth-Token`.
    public let token: String
    /// The services and their endpoints, from the token's catalog.
    public let catalog: [CatalogEntry]
    /// How endpoints are chosen: `public`, `internal` or `admin`, and the region (nil: any).
    public let interface: String
    public let region: String?
    let transport: HTTPTransport

    /// One service of the catalog.
    public struct CatalogEntry: Sendable, Decodable {
        public let type: String
        public let name: String?
        public let endpoints: [Endpoint]
    }

    /// One endpoint of a service.
    public struct Endpoint: Sendable, Decodable {
        public let interface: String
        public let url: String
        public let region: String?
        public let regionID: String?

        enum CodingKeys: String, CodingKey {
            case interface, url, region, regionID = "region_id"
        }
    }

    /// Authenticates with `POST /v3/auth/tokens`: password (scoped to the project), token, or application
    /// credential, as `credentials.authType` says.
    /// - Parameter transport: carries this request and every later one of the session.
    /// - Throws: `OpenStackError.missingSetting` before any request, `OpenStackError.http` when refused,
    ///   `ServiceUnreachable` when Keystone does not answer.
    public static func authenticate(_ credentials: CloudCredentials, transport: HTTPTransport) async throws -> KeystoneSession {
        guard var authURL = credentials.auth["auth_url"].flatMap(URL.init(string:)) else {
            throw OpenStackError.missingSetting("auth_url", cloud: credentials.name)
        }
        if authURL.lastPathComponent != "v3" { authURL.appendPathComponent("v3") }
        let body = try JSONSerialization.body(["auth": try authBody(credentials)])
        let keystone = ServiceClient(service: "Keystone", transport: transport, token: nil)
        let response = try await keystone.send(
            "POST", authURL.appendingPathComponent("auth/tokens"), operation: "POST /v3/auth/tokens", json: body)
        guard let token = response.header("x-subject-token") else {
            throw OpenStackError.badResponse(url: authURL.absoluteString, reason: "no X-Subject-Token header")
        }
        struct TokenBody: Decodable {
            struct Token: Decodable { let catalog: [CatalogEntry]? }
            let token: Token
        }
        let decoded: TokenBody
        do { decoded = try JSONDecoder().decode(TokenBody.self, from: response.bodyData) } catch {
            throw OpenStackError.badResponse(url: authURL.absoluteString, reason: "the token's body: \(error)")
        }
        return KeystoneSession(
            token: token, catalog: decoded.token.catalog ?? [], interface: credentials.interface.replacingOccurrences(of: "URL", with: ""),
            region: credentials.region, transport: transport)
    }

    /// Authenticates and runs `body` with the session, over a transport that is shut down afterwards (also
    /// on error and cancellation); secrets of `credentials` and token-shaped texts never reach its errors.
    /// - Parameters:
    ///   - retry: how requests are sent again after 429, 5xx and lost connections.
    ///   - onRetry: told before each wait, e.g. for progress.
    public static func with<T: Sendable>(
        _ credentials: CloudCredentials, retry: RetryPolicy = .standard,
        onRetry: @escaping @Sendable (HTTPTransport.RetryNotice) -> Void = { _ in },
        _ body: (KeystoneSession) async throws -> T
    ) async throws -> T {
        try await HTTPTransport.with(redactor: SecretRedactor(secrets: credentials.secrets), retry: retry, onRetry: onRetry) { transport in
            try await body(try await authenticate(credentials, transport: transport))
        }
    }

    /// A client of one service that sends this session's token.
    func client(_ service: String) -> ServiceClient {
        ServiceClient(service: service, transport: transport, token: token)
    }

    /// The endpoint URL of service `type` (e.g. `compute`) for this session's interface and region.
    /// - Throws: `OpenStackError.noEndpoint` listing what the catalog has.
    public func endpoint(of type: String) throws -> URL {
        let endpoints = catalog.filter { $0.type == type }.flatMap(\.endpoints)
        let match = endpoints.first { endpoint in
            endpoint.interface == interface && (region == nil || endpoint.regionID == region || endpoint.region == region)
        }
        guard let match, let url = URL(string: match.url) else {
            throw OpenStackError.noEndpoint(
                type: type, interface: interface, region: region,
                available: endpoints.map { "\($0.interface) \($0.regionID ?? $0.region ?? "-") \($0.url)" })
        }
        return url
    }

    private static func authBody(_ credentials: CloudCredentials) throws -> [String: Any] {
        let auth = credentials.auth
        func need(_ key: String) throws -> String {
            guard let value = auth[key] else { throw OpenStackError.missingSetting(key, cloud: credentials.name) }
            return value
        }
        switch credentials.authType {
        case "v3applicationcredential":
            var application: [String: Any] = ["secret": try need("application_credential_secret")]
            if let id = auth["application_credential_id"] { application["id"] = id } else {
                application["name"] = try need("application_credential_name")
                application["user"] = try user(auth, credentials: credentials)
            }
            return ["identity": ["methods": ["application_credential"], "application_credential": application]]
        case "token", "v3token":
            return ["identity": ["methods": ["token"], "token": ["id": try need("token")]], "scope": try scope(auth, credentials)]
        default:
            var user = try user(auth, credentials: credentials)
            user["password"] = try need("password")
            return ["identity": ["methods": ["password"], "password": ["user": user]], "scope": try scope(auth, credentials)]
        }
    }

    private static func user(_ auth: [String: String], credentials: CloudCredentials) throws -> [String: Any] {
        if let id = auth["user_id"] { return ["id": id] }
        guard let name = auth["username"] else { throw OpenStackError.missingSetting("username", cloud: credentials.name) }
        return ["name": name, "domain": domain(auth, prefix: "user")]
    }

    private static func scope(_ auth: [String: String], _ credentials: CloudCredentials) throws -> [String: Any] {
        if let id = auth["project_id"] { return ["project": ["id": id]] }
        guard let name = auth["project_name"] else { throw OpenStackError.missingSetting("project_name", cloud: credentials.name) }
        return ["project": ["name": name, "domain": domain(auth, prefix: "project")]]
    }

    /// `<prefix>_domain_id`, `<prefix>_domain_name`, then `domain_id`/`domain_name`, then `Default`.
    private static func domain(_ auth: [String: String], prefix: String) -> [String: String] {
        if let id = auth["\(prefix)_domain_id"] ?? auth["domain_id"] { return ["id": id] }
        return ["name": auth["\(prefix)_domain_name"] ?? auth["domain_name"] ?? "Default"]
    }
}
