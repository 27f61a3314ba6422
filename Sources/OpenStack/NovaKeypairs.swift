import CloudHTTP
import Foundation

/// Nova's keypairs (API v2.1) at one compute endpoint: where `dibkit upload -k NAME` finds the public key.
public struct NovaKeypairs: Sendable {
    let nova: ServiceClient
    let compute: URL

    /// Keypairs of the cloud reached through `keystone`'s catalog (`compute` service).
    /// - Throws: `OpenStackError.noEndpoint`.
    public init(keystone: KeystoneSession) throws {
        self.nova = keystone.client("Nova")
        self.compute = try keystone.endpoint(of: "compute")
    }

    /// The public key of keypair `name`, owned by the authenticated user (`GET /os-keypairs/{name}`).
    /// - Throws: `OpenStackError.badKeypairName` before any request for a name Nova cannot hold;
    ///   `OpenStackError.noKeypair` when the cloud has none of that name; `OpenStackError.http` otherwise.
    public func publicKey(named name: String) async throws -> String {
        guard Self.isValidName(name) else { throw OpenStackError.badKeypairName(name) }
        let url = compute.appendingPathComponent("os-keypairs").appendingPathComponent(name)
        let response: HTTPTransport.Response
        do {
            response = try await nova.send("GET", url, operation: "GET /os-keypairs/{name}")
        } catch OpenStackError.http(_, _, 404, _, _) {
            throw OpenStackError.noKeypair(name)
        }
        struct Shown: Decodable { struct Keypair: Decodable { let public_key: String }; let keypair: Keypair }
        guard let key = try? JSONDecoder().decode(Shown.self, from: response.bodyData).keypair.public_key else {
            throw OpenStackError.badResponse(url: url.absoluteString, reason: "no keypair.public_key in the answer")
        }
        return key
    }

    /// Nova's rule for keypair names (its `keypair_name_special_chars`): 1–255 of letters, digits, space,
    /// `_`, `-`, `.` and `@`, not only spaces.
    static func isValidName(_ name: String) -> Bool {
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 _-.@")
        return (1...255).contains(name.count) && name.allSatisfy(allowed.contains) && name.contains { $0 != " " }
    }
}
