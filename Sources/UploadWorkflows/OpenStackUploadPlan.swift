import CloudHTTP
public import Foundation
public import OpenStack
public import Reporting

/// What `dibkit upload --cloud openstack` was asked, as given on its command line.
public struct OpenStackUploadSettings: Sendable {
    public var image: URL
    /// The image's name in Glance (default: the file's name without extension).
    public var name: String?
    /// How long to wait for a glance-direct import.
    public var timeout: Duration = .seconds(3600)
    /// The cloud in clouds.yaml (default: `OS_CLOUD`, then the `OS_*` variables, then the only cloud).
    public var osCloud: String?
    /// Image properties beside the manifest's; a later one of a key wins.
    public var properties: [String: String] = [:]
    public var useImport = false
    public var visibility: String?
    /// The per-cloud touches and the Trove registration around the upload.
    public var extras = OpenStackUploadExtras()

    public init(image: URL) { self.image = image }
}

/// What `dibkit upload --cloud openstack` sends, worked out from its settings and the image's manifest
/// before anything is sent.
public struct OpenStackUploadPlan: Sendable {
    public let settings: OpenStackUploadSettings
    public let request: GlanceUploadRequest

    public init(_ settings: OpenStackUploadSettings) {
        self.settings = settings
        let image = settings.image
        var request = GlanceUploadRequest(image: image, name: settings.name ?? image.deletingPathExtension().lastPathComponent)
        if let manifest = try? Manifest.beside(image) {
            request.properties = Self.properties(of: manifest)
            request.minDiskGB = Int((manifest.sizes.virtual + (1 << 30) - 1) >> 30)
        }
        request.properties.merge(settings.properties) { $1 }
        request.visibility = settings.visibility ?? "private"
        request.useImport = settings.useImport
        request.importTimeout = settings.timeout
        self.request = request
    }

    /// Glance's common image properties for a dibkit image: the OS (libosinfo names), how Nova should attach
    /// it, and the database (the `sw_database_*` names of Glance's metadata definitions). No `hw_firmware_type`:
    /// the image boots under BIOS and UEFI, so the cloud's default stands unless `--property` asks.
    public static func properties(of manifest: Manifest) -> [String: String] {
        let ubuntu = manifest.elements.contains("ubuntu")
        var properties = [
            "os_type": "linux", "os_distro": ubuntu ? "ubuntu" : "debian", "os_admin_user": manifest.loginUser,
            "hw_architecture": ["amd64": "x86_64", "arm64": "aarch64"][manifest.arch] ?? manifest.arch,
            "hw_disk_bus": "virtio", "hw_vif_model": "virtio",
            "hw_qemu_guest_agent": manifest.elements.contains("guest-agent") ? "yes" : "no",
        ]
        let versions = ["bullseye": "11", "bookworm": "12", "trixie": "13", "jammy": "22.04", "noble": "24.04"]
        properties["os_version"] = versions[manifest.release]
        if let database = manifest.database {
            properties["sw_database_\(database)_version"] = manifest.databaseVersion?.version
            properties["sw_database_\(database)_listen_port"] = manifest.ports.first.map(String.init)
        }
        return properties
    }

    /// Checks the image (readable, no backing file), its name and properties, offline: before credentials are
    /// read or anything is sent.
    /// - Throws: `OpenStackError.invalidUpload`.
    public func checkImage() throws {
        _ = try request.validate()
    }

    /// Visibilities that let other projects read the image.
    static let readableByOthers = ["public", "community", "shared"]

    /// Refuses, before anything is sent, a Trove transport URL for an image other projects could read.
    /// - Throws: `OpenStackError.invalidUpload` saying why and what to do.
    func checkVisibility(credentials: CloudCredentials) throws {
        guard Self.readableByOthers.contains(request.visibility), settings.extras.transportURL(credentials: credentials) != nil else {
            return
        }
        throw OpenStackError.invalidUpload(
            "the Trove agent's transport URL goes into the image, and it holds the message queue's password: "
                + "with --visibility \(request.visibility) other projects could read it. Upload the image private "
                + "(the default), or leave out the Trove transport URL (--trove-transport-url, --trove-transport-url-file, "
                + "$\(OpenStackUploadExtras.transportURLVariable), trove_transport_url of clouds.yaml)")
    }

    /// Checks the visibility against the Trove transport URL, authenticates, then, inside one Keystone session:
    /// the extras' checks (Trove, the keypair), the image to send (a touched copy when there is something to
    /// touch), the Glance upload, the Trove registration that needs the new image's id.
    /// - Parameters:
    ///   - credentials: from `CloudCredentials.load(cloud:)`.
    ///   - progress: the upload's and the touches' steps, states and bytes.
    /// - Throws: `OpenStackError`, `TouchError`, `ElementError.badPublicKey`, `ChrootError`, `ServiceError`.
    public func run(credentials: CloudCredentials, progress: @escaping ProgressHandler) async throws -> OpenStackUploadOutcome {
        try checkVisibility(credentials: credentials)
        return try await KeystoneSession.with(credentials, onRetry: { progress(.retrying($0.text)) }) { keystone in
            let (result, extras) = try await settings.extras.run(
                image: request.image, credentials: credentials, keystone: keystone, progress: progress, imageID: \.imageID
            ) { file in
                var request = request
                request.image = file
                return try await GlanceUpload(request).run(keystone: keystone, events: progress)
            }
            return OpenStackUploadOutcome(result: result, extras: extras)
        }
    }
}

/// What `dibkit upload --cloud openstack` did: the upload's result (its fields at the top level of the JSON
/// object), and the extras' under `extras`.
public struct OpenStackUploadOutcome: Sendable, Encodable {
    public let result: GlanceUploadResult
    public let extras: OpenStackUploadExtras.Outcome

    public func encode(to encoder: any Encoder) throws {
        try result.encode(to: encoder)
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(extras, forKey: .extras)
    }

    enum Key: CodingKey { case extras }
}
