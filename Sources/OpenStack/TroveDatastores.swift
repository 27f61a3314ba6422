import CloudHTTP
import Foundation

/// Trove's management API for datastore versions (`/v1.0/{project}/mgmt/datastore-versions`), reached
/// through the catalog's `database` endpoint. Needs an admin user.
public struct TroveDatastores: Sendable {
    let trove: ServiceClient
    let database: URL

    /// The Trove of the cloud reached through `keystone`, or nil when its catalog has no `database`
    /// endpoint for the session's interface and region (then `TroveDatastoreVersion.manageCommands` says
    /// what to run on a controller instead).
    public init?(keystone: KeystoneSession) {
        guard let database = try? keystone.endpoint(of: "database") else { return nil }
        self.trove = keystone.client("Trove")
        self.database = database
    }

    /// What `register` will check, without the image: the fields, the user's admin role, and that the
    /// datastore has no version of that name yet. Run it before uploading, so these fail in seconds.
    /// - Throws: as `register`.
    public func preflight(_ version: TroveDatastoreVersion) async throws {
        try version.validate(includingImage: false)
        try await explainingRefusals(version) { try await refuseExisting(version) }
    }

    /// Registers `version`: refuses, before any change, a version of that name the datastore already has;
    /// then `POST /mgmt/datastore-versions` (Trove creates a missing datastore and, with `isDefault`, makes
    /// the version its default).
    /// - Throws: `OpenStackError.badDatastoreVersion` for a field Trove's schema refuses;
    ///   `OpenStackError.datastoreVersionExists`; `OpenStackError.notTroveAdmin`; `OpenStackError.http`.
    public func register(_ version: TroveDatastoreVersion) async throws {
        try version.validate()
        try await explainingRefusals(version) {
            try await refuseExisting(version)
            // Not sent again after a lost answer or a 500: Trove may have registered it.
            _ = try await trove.send(
                "POST", url, operation: "POST /mgmt/datastore-versions", json: try JSONSerialization.body(version.requestBody),
                idempotent: false)
        }
    }

    private var url: URL { database.appendingPathComponent("mgmt/datastore-versions") }

    private func refuseExisting(_ version: TroveDatastoreVersion) async throws {
        if let existing = try await listed(version) {
            throw OpenStackError.datastoreVersionExists(datastore: version.datastore, version: version.version, id: existing.id)
        }
    }

    /// Runs `body`, turning Trove's answers for a non-admin and for a duplicate into errors that say what to do.
    private func explainingRefusals(_ version: TroveDatastoreVersion, _ body: () async throws -> Void) async throws {
        do {
            try await body()
        } catch OpenStackError.http(_, _, let status, let message, _) where Self.meansNotAdmin(status: status, message: message) {
            throw OpenStackError.notTroveAdmin(message: message)
        } catch OpenStackError.http(_, _, let status, let message, _) where (status == 400 || status == 409) && message.contains("already exists") {
            throw OpenStackError.datastoreVersionExists(datastore: version.datastore, version: version.version, id: nil)
        }
    }

    /// A version as `GET /mgmt/datastore-versions` lists it.
    private struct Listed: Decodable {
        let id: String
        let name: String
        let datastore_name: String
    }

    /// The version of the same datastore and name, if Trove lists one (active or not).
    private func listed(_ version: TroveDatastoreVersion) async throws -> Listed? {
        let response = try await trove.send("GET", url, operation: "GET /mgmt/datastore-versions")
        struct Listing: Decodable { let versions: [Listed] }
        guard let listing = try? JSONDecoder().decode(Listing.self, from: response.bodyData) else {
            throw OpenStackError.badResponse(url: url.absoluteString, reason: "no `versions` list in the answer")
        }
        return listing.versions.first { $0.datastore_name == version.datastore && $0.name == version.version }
    }

    /// Trove answers a non-admin's management call with 401 "User does not have admin privileges." (its
    /// `admin_context`), or 403 when a policy refuses it.
    private static func meansNotAdmin(status: Int, message: String) -> Bool {
        status == 403 || (status == 401 && message.localizedCaseInsensitiveContains("admin"))
    }
}
