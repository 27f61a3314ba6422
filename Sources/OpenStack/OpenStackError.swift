public import Reporting
/// What can go wrong talking to an OpenStack cloud, with what to do about it.
public enum OpenStackError: ClassifiedError, CustomStringConvertible, Sendable, Equatable {
    /// No clouds.yaml was found and no `OS_AUTH_URL` is set.
    case noCredentials(searched: [String])
    /// The cloud asked for is not in clouds.yaml.
    case unknownCloud(String, known: [String], file: String)
    /// clouds.yaml names several clouds and none was picked.
    case whichCloud(known: [String], file: String)
    /// A setting the chosen auth type needs is missing.
    case missingSetting(String, cloud: String)
    /// clouds.yaml (or secure.yaml) cannot be read.
    case badCloudsFile(path: String, reason: String)
    /// The catalog has no endpoint of this type for the interface and region asked for.
    case noEndpoint(type: String, interface: String, region: String?, available: [String])
    /// An HTTP request failed; `hint` says what to do.
    case http(method: String, url: String, status: Int, message: String, hint: String?)
    /// The server's answer is not what the API documents.
    case badResponse(url: String, reason: String)
    /// Flavors of the same name exist with other specs; `--replace` replaces them.
    case flavorsDiffer([String])
    /// The image or the upload's settings are unusable; found before any request.
    case invalidUpload(String)
    /// Glance ended an interoperable import without making the image active.
    case importFailed(imageID: String, status: String, failedStores: String?)
    /// An import still ran when the time allowed ran out.
    case importTimedOut(imageID: String, status: String)
    /// The image Glance holds is not the file that was sent.
    case verificationFailed(imageID: String, reason: String)
    /// `-k NAME` is not a name Nova can hold.
    case badKeypairName(String)
    /// The cloud has no keypair of that name for the authenticated user.
    case noKeypair(String)
    /// A field of a datastore version breaks a rule of Trove's request schema.
    case badDatastoreVersion(field: String, reason: String)
    /// The datastore already has a version of that name (`id`: the version's id, when Trove listed it).
    case datastoreVersionExists(datastore: String, version: String, id: String?)
    /// Trove's management API refused the user: it needs the admin role.
    case notTroveAdmin(message: String)

    public var failureKind: FailureKind { isBadInput ? .badInput : .failed }

    /// True when the user's settings are wrong or missing (the CLI exits 2), not the cloud.
    public var isBadInput: Bool {
        switch self {
        case .noCredentials, .unknownCloud, .whichCloud, .missingSetting, .badCloudsFile, .invalidUpload, .badKeypairName,
             .noKeypair, .badDatastoreVersion, .datastoreVersionExists: true
        case .noEndpoint, .http, .badResponse, .flavorsDiffer, .importFailed, .importTimedOut, .verificationFailed,
             .notTroveAdmin: false
        }
    }

    public var description: String {
        switch self {
        case .noCredentials(let searched):
            return "no OpenStack credentials: no clouds.yaml (looked in \(searched.joined(separator: ", "))) and no OS_AUTH_URL; "
                + "write a clouds.yaml or source an openrc file"
        case .unknownCloud(let name, let known, let file):
            return "no cloud '\(name)' in \(file); it has: \(known.joined(separator: ", "))"
        case .whichCloud(let known, let file):
            return "\(file) has several clouds (\(known.joined(separator: ", "))): pick one with --os-cloud or OS_CLOUD"
        case .missingSetting(let setting, let cloud):
            return "cloud '\(cloud)' lacks \(setting) (in clouds.yaml's auth: section, or OS_\(setting.uppercased()))"
        case .badCloudsFile(let path, let reason):
            return "\(path): \(reason)"
        case .noEndpoint(let type, let interface, let region, let available):
            let shown = available.isEmpty ? "none" : available.joined(separator: "; ")
            return "the catalog has no \(type) endpoint for interface \(interface)\(region.map { " in region \($0)" } ?? ""); "
                + "it has: \(shown)"
        case .http(let method, let url, let status, let message, let hint):
            return "\(method) \(url) answered \(status): \(message)" + (hint.map { "\n\($0)" } ?? "")
        case .badResponse(let url, let reason):
            return "unexpected answer from \(url): \(reason)"
        case .flavorsDiffer(let differences):
            return "flavors already exist with other specs (nothing was changed):\n"
                + differences.map { "  \($0)" }.joined(separator: "\n")
                + "\npass --replace to delete and create them again (instances keep their old sizes)"
        case .invalidUpload(let text):
            return text
        case .importFailed(let id, let status, let stores):
            return "Glance's glance-direct import of image \(id) failed (status \(status)"
                + (stores.map { ", failed stores: \($0)" } ?? "") + "); the image was deleted. "
                + "The operator's Glance log says why; upload without --import to send the file directly"
        case .importTimedOut(let id, let status):
            return "the import of image \(id) was still \(status) when the time ran out; the image was deleted. Try again when the cloud is less busy"
        case .verificationFailed(let id, let reason):
            return "image \(id) in Glance is not the file sent: \(reason); the image was deleted. Upload again; if it repeats, "
                + "something between here and Glance changes the bytes"
        case .badKeypairName(let name):
            return "-k '\(name)' is not a Nova keypair name (1–255 letters, digits, spaces, _ - . @)"
        case .noKeypair(let name):
            return "the cloud has no keypair '\(name)' for this user: `openstack keypair list` shows them; "
                + "`openstack keypair create --public-key FILE \(name)` adds one"
        case .badDatastoreVersion(let field, let reason):
            return "\(field): \(reason) (Trove's datastore version schema)"
        case .datastoreVersionExists(let datastore, let version, let id):
            let delete = id.map { "`openstack datastore version delete \($0)`" }
                ?? "`openstack datastore version list \(datastore)` shows its id, `openstack datastore version delete ID`"
            return "datastore \(datastore) already has a version \(version) (nothing was registered): pick another "
                + "--datastore-version, or delete the old one first (\(delete))"
        case .notTroveAdmin(let message):
            return "Trove refused to register the datastore version (\(message)): its management API needs "
                + "the admin role; use an admin's credentials (--os-cloud), or leave out --datastore and run the "
                + "trove-manage commands on a controller"
        }
    }
}
