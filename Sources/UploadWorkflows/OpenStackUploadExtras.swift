public import Foundation
public import OpenStack
import ImagePatch
import Elements
import HostProcesses
public import Reporting

/// What `dibkit upload --cloud openstack` does around the Glance upload, as the seed's upload script did:
/// per-cloud touches on a copy of the image (a Nova keypair for the login user, the Trove agent's settings),
/// then the image registered as a Trove datastore version.
public struct OpenStackUploadExtras: Sendable {
    /// A Nova keypair whose public key goes into the uploaded copy for the login user.
    public var keypair: String?
    /// The login user for `keypair` (default: the manifest's `loginUser`).
    public var loginUser: String?
    /// The Trove agent's message queue, as `givenTransportURL` finds it (default: `trove_transport_url` of the
    /// cloud's clouds.yaml entry). It holds the queue's password.
    public var troveTransportURL: String?
    /// The Trove agent's control exchange (default: `trove_control_exchange` of clouds.yaml, then `trove`).
    public var troveControlExchange: String?
    /// Register the uploaded image as a version of this Trove datastore, with this version name.
    public var datastore: String?
    public var datastoreVersion: String?
    /// The version's Trove manager (default: the manifest's database, else the datastore).
    public var datastoreManager: String?
    /// Packages the version needs (default: none: the image holds the database).
    public var datastorePackages: [String] = []
    /// Make the version the datastore's default.
    public var makeDefault = true

    public init() {}

    /// What the extras did, for the report.
    public struct Outcome: Sendable, Encodable {
        /// The keypair installed, and for whom.
        public var keypair: String?
        public var loginUser: String?
        /// Whether the Trove agent's settings were written.
        public var troveAgentConfigured = false
        /// The datastore version registered through Trove's API…
        public var datastoreVersionRegistered: String?
        /// …or the trove-manage commands to run, when the catalog has no database endpoint.
        public var troveManageCommands: [String]?
    }

    /// Checks what can be checked before the upload (the Trove registration's fields, admin role and name;
    /// the keypair), makes the touched copy, runs `upload` with it (the file to send; `imageID` tells the
    /// Glance image id from what it returns), removes the copy, then registers the datastore version or says
    /// how to.
    /// - Throws: `OpenStackError`, `TouchError`, `ElementError.badPublicKey`, `ChrootError`, or what `upload` throws.
    public func run<Uploaded: Sendable>(
        image: URL, credentials: CloudCredentials, keystone: KeystoneSession, progress: @escaping ProgressHandler,
        imageID: (Uploaded) -> String, upload: (URL) async throws -> Uploaded
    ) async throws -> (uploaded: Uploaded, outcome: Outcome) {
        let manifest = try? Manifest.beside(image)
        var outcome = Outcome()
        let planned = plannedVersion(manifest: manifest)
        let trove = planned == nil ? nil : TroveDatastores(keystone: keystone)
        if let planned {
            if let trove { try await trove.preflight(planned) } else { try planned.validate(includingImage: false) }
        }
        var touches = CloudTouches()
        if let keypair {
            guard let user = loginUser ?? manifest?.loginUser else { throw TouchError.loginUserUnknown(image: image.path) }
            let key = try await NovaKeypairs(keystone: keystone).publicKey(named: keypair)
            touches.keys = try AuthorizedKeys(text: key, source: "keypair '\(keypair)' of cloud '\(credentials.name)'")
            touches.loginUser = user
            (outcome.keypair, outcome.loginUser) = (keypair, user)
        }
        if let url = transportURL(credentials: credentials) {
            let exchange = troveControlExchange ?? credentials.otherSettings["trove_control_exchange"] ?? "trove"
            touches.troveAgent = try TroveAgentSettings(transportURL: url, controlExchange: exchange)
            outcome.troveAgentConfigured = true
        } else if planned != nil {
            progress(.note("the image's Trove agent is left unconfigured: no --trove-transport-url, and no trove_transport_url in clouds.yaml"))
        }
        let uploaded: Uploaded
        if touches.isEmpty {
            uploaded = try await upload(image)
        } else {
            let choice = await AcceleratorChoice.detect(reportingTo: progress)
            uploaded = try await withTouchedCopy(of: image, touches: touches, accelerator: choice, progress: progress, upload)
        }
        if var version = planned {
            version.imageID = imageID(uploaded)
            if let trove {
                try await trove.register(version)
                outcome.datastoreVersionRegistered = "\(version.datastore) \(version.version)"
            } else {
                try version.validate()
                outcome.troveManageCommands = version.manageCommands
            }
        }
        return (uploaded, outcome)
    }

    /// The variable `upload --cloud openstack` reads the Trove agent's message queue URL from.
    public static let transportURLVariable = "DIBKIT_TROVE_TRANSPORT_URL"

    /// The Trove agent's message queue URL as given, first found: `argument` (`--trove-transport-url`), the
    /// first line of `file` (`--trove-transport-url-file`), `DIBKIT_TROVE_TRANSPORT_URL` in `environment`.
    /// The file and the variable keep the URL, which holds the queue's password, out of `ps`.
    /// - Returns: nil when none gives one (then `trove_transport_url` of clouds.yaml applies).
    /// - Throws: `TouchError.badTroveSetting` when the file cannot be read or its first line is empty.
    public static func givenTransportURL(argument: String?, file: URL?, environment: [String: String]) throws -> String? {
        if let argument { return argument }
        if let file {
            let text: String
            do { text = try String(contentsOf: file, encoding: .utf8) } catch {
                throw TouchError.badTroveSetting(
                    option: "--trove-transport-url-file", reason: "\(file.path) cannot be read: \(error.localizedDescription)")
            }
            let line = text.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            let url = line.trimmingCharacters(in: .whitespaces)
            guard !url.isEmpty else {
                throw TouchError.badTroveSetting(
                    option: "--trove-transport-url-file", reason: "\(file.path) has no URL on its first line")
            }
            return url
        }
        return environment[transportURLVariable].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// The message queue URL the Trove agent gets: `troveTransportURL`, else the cloud's `trove_transport_url`.
    func transportURL(credentials: CloudCredentials) -> String? {
        troveTransportURL ?? credentials.otherSettings["trove_transport_url"]
    }

    /// The datastore version `--datastore` asks for, without its image yet.
    func plannedVersion(manifest: Manifest?) -> TroveDatastoreVersion? {
        guard let datastore, let datastoreVersion else { return nil }
        return TroveDatastoreVersion(
            datastore: datastore, version: datastoreVersion, manager: datastoreManager ?? manifest?.database ?? datastore,
            imageID: "", packages: datastorePackages, isDefault: makeDefault)
    }
}

extension OpenStackUploadExtras.Outcome {
    /// Lines for the terminal after the upload: what was touched, what was registered, or the commands to run.
    public var summary: [String] {
        var lines: [String] = []
        if let keypair, let loginUser { lines.append("keypair \(keypair) installed for \(loginUser) in the uploaded image") }
        if troveAgentConfigured { lines.append("Trove agent configured for this cloud in the uploaded image") }
        if let datastoreVersionRegistered { lines.append("registered Trove datastore version \(datastoreVersionRegistered)") }
        if let troveManageCommands {
            lines.append("the cloud's catalog has no database endpoint: register the datastore version on a Trove controller with")
            lines += troveManageCommands.map { "  \($0)" }
        }
        return lines
    }
}
