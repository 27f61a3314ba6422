public import Foundation
public import QcowIO

/// What to upload to Glance and how.
public struct GlanceUploadRequest: Sendable {
    /// The image file, qcow2 or raw.
    public var image: URL
    /// The image's name in Glance.
    public var name: String
    /// `qcow2` or `raw`; nil tells it from the file's content.
    public var diskFormat: String?
    /// `private` (the default), `shared`, `community` or `public`.
    public var visibility = "private"
    /// Image properties (`os_distro`, `hw_*`, `sw_database_*`…): all strings, as Glance stores them.
    public var properties: [String: String] = [:]
    /// The smallest root disk the image boots from, GiB (`min_disk`).
    public var minDiskGB: Int?
    /// Use interoperable import (`glance-direct`: stage, then import) when the cloud offers it.
    public var useImport = false
    /// How long an import may take once the bytes are staged.
    public var importTimeout: Duration = .seconds(3600)
    /// How often a running import is looked at: 1 s at first, growing to 15 s.
    public var importPolling = ImportPolling(initial: .seconds(1), maximum: .seconds(15))

    /// Makes a request for `image` named `name`.
    public init(image: URL, name: String) {
        self.image = image
        self.name = name
    }

    /// The waits between looks at a running import: `initial`, each 1.5 times longer, up to `maximum`.
    public struct ImportPolling: Sendable {
        public var initial: Duration
        public var maximum: Duration

        public init(initial: Duration, maximum: Duration) {
            self.initial = initial
            self.maximum = maximum
        }
    }

    /// Visibilities Glance v2 knows.
    static let visibilities = ["private", "shared", "community", "public"]
    /// Properties Glance manages itself and refuses in a create request.
    static let reserved: Set<String> = [
        "id", "status", "size", "virtual_size", "checksum", "os_hash_algo", "os_hash_value", "created_at", "updated_at",
        "file", "self", "schema", "locations", "direct_url", "owner", "stores", "tags",
    ]

    /// Checks everything that can be checked without the network: the image readable, its format one
    /// Glance takes, no backing file, the name and properties well-formed.
    /// - Returns: what QcowIO read of the image, with the disk format to send.
    /// - Throws: `OpenStackError.invalidUpload` saying what is wrong and what to do.
    public func validate() throws -> (info: ImageInfo, diskFormat: String) {
        guard !name.trimmingCharacters(in: .whitespaces).isEmpty, name.count <= 255 else {
            throw OpenStackError.invalidUpload("the image name must be 1–255 characters; pass --name")
        }
        guard Self.visibilities.contains(visibility) else {
            throw OpenStackError.invalidUpload("visibility \(visibility) is not one of \(Self.visibilities.joined(separator: ", "))")
        }
        for key in properties.keys where key.isEmpty || key.count > 255 || Self.reserved.contains(key) {
            throw OpenStackError.invalidUpload("property '\(key)' cannot be set: Glance manages it or the name is not 1–255 characters")
        }
        let info: ImageInfo
        do {
            info = try QcowIO.info(of: image)
        } catch {
            throw OpenStackError.invalidUpload("cannot read the image \(image.path): \(error)")
        }
        if let backing = info.backingFile {
            throw OpenStackError.invalidUpload(
                "\(image.path) is a qcow2 overlay on the backing file \(backing); Glance refuses images with a backing file: "
                    + "flatten it with dibkit convert first (dibkit convert \(image.lastPathComponent) FLAT.qcow2)")
        }
        return (info, diskFormat ?? info.format.rawValue)
    }
}
