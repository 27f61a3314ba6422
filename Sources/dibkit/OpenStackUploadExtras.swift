import ArgumentParser
import Chroot
import Foundation
import OpenStack
import Pipeline

/// What `dibkit upload --cloud openstack` does around the Glance upload, as the seed's upload script did:
/// per-cloud touches on a copy of the image (a Nova keypair for the login user, the Trove agent's settings),
/// then the image registered as a Trove datastore version.
struct OpenStackUploadExtras: ParsableArguments {
    @Option(name: .customShort("k"), help: ArgumentHelp("A Nova keypair of the cloud: its public key goes into the uploaded copy for the login user.", valueName: "name"))
    var keypair: String?

    @Option(help: ArgumentHelp("The image's login user for -k (default: the manifest's loginUser).", valueName: "name"))
    var loginUser: String?

    @Option(name: .customLong("trove-transport-url"), help: ArgumentHelp("The Trove agent's message queue, e.g. rabbit://USER:PASSWORD@HOST:5672/ (default: trove_transport_url of the cloud's clouds.yaml entry).", valueName: "url"))
    var troveTransportURL: String?

    @Option(help: ArgumentHelp("The Trove agent's control exchange (default: trove_control_exchange of clouds.yaml, then trove).", valueName: "name"))
    var troveControlExchange: String?

    @Option(help: ArgumentHelp("Register the uploaded image as a version of this Trove datastore, e.g. redis.", valueName: "name"))
    var datastore: String?

    @Option(help: ArgumentHelp("The datastore version's name, e.g. 7.0 (with --datastore).", valueName: "name"))
    var datastoreVersion: String?

    @Option(help: ArgumentHelp("The Trove manager of the version (default: the manifest's database, else --datastore).", valueName: "name"))
    var datastoreManager: String?

    @Option(help: ArgumentHelp("Packages the version needs, comma-separated (default: none: the image holds the database).", valueName: "a,b"))
    var datastorePackages: String?

    @Flag(help: "Register the version without making it the datastore's default.")
    var notDefault = false

    /// The options given on the command line, by flag name.
    var given: [String] {
        [("-k", keypair != nil), ("--login-user", loginUser != nil), ("--trove-transport-url", troveTransportURL != nil),
         ("--trove-control-exchange", troveControlExchange != nil), ("--datastore", datastore != nil),
         ("--datastore-version", datastoreVersion != nil), ("--datastore-manager", datastoreManager != nil),
         ("--datastore-packages", datastorePackages != nil), ("--not-default", notDefault)]
            .filter(\.1).map(\.0)
    }

    func validate() throws {
        if (datastore == nil) != (datastoreVersion == nil) {
            throw ValidationError("--datastore and --datastore-version go together (e.g. --datastore redis --datastore-version 7.0)")
        }
        if datastore == nil, datastoreManager != nil || datastorePackages != nil || notDefault {
            throw ValidationError("--datastore-manager, --datastore-packages and --not-default go with --datastore")
        }
        if loginUser != nil, keypair == nil { throw ValidationError("--login-user goes with -k") }
    }

    /// What the extras did, for the report.
    struct Outcome: Sendable, Encodable {
        /// The keypair installed, and for whom.
        var keypair: String?
        var loginUser: String?
        /// Whether the Trove agent's settings were written.
        var troveAgentConfigured = false
        /// The datastore version registered through Trove's API…
        var datastoreVersionRegistered: String?
        /// …or the trove-manage commands to run, when the catalog has no database endpoint.
        var troveManageCommands: [String]?
    }

    /// Checks what can be checked before the upload (the Trove registration's fields, admin role and name;
    /// the keypair), makes the touched copy, runs `upload` with it (the file to send; `imageID` tells the
    /// Glance image id from what it returns), removes the copy, then registers the datastore version or says
    /// how to.
    /// - Throws: `OpenStackError`, `TouchError`, `BuildError.badPublicKey`, `ChrootError`, or what `upload` throws.
    func run<Uploaded: Sendable>(
        image: URL, credentials: CloudCredentials, keystone: KeystoneSession, progress: @escaping BuildProgress,
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
        if let url = troveTransportURL ?? credentials.otherSettings["trove_transport_url"] {
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
            let choice = await AcceleratorChoice.detect()
            progress(.note(choice.summary))
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

    /// The datastore version `--datastore` asks for, without its image yet.
    func plannedVersion(manifest: Manifest?) -> TroveDatastoreVersion? {
        guard let datastore, let datastoreVersion else { return nil }
        let packages = (datastorePackages ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        return TroveDatastoreVersion(
            datastore: datastore, version: datastoreVersion, manager: datastoreManager ?? manifest?.database ?? datastore,
            imageID: "", packages: packages, isDefault: !notDefault)
    }
}

extension OpenStackUploadExtras.Outcome {
    /// Lines for the terminal after the upload: what was touched, what was registered, or the commands to run.
    var summary: [String] {
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
