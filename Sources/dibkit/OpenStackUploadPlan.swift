import Foundation
import OpenStack
import Pipeline

/// What `dibkit upload --cloud openstack` sends, worked out from its options and the image's manifest
/// before anything is sent; and how it reports the result.
struct OpenStackUploadPlan {
    let request: GlanceUploadRequest

    init(command: Dibkit.Upload) throws {
        let image = URL(fileURLWithPath: command.image)
        var request = GlanceUploadRequest(image: image, name: command.name ?? image.deletingPathExtension().lastPathComponent)
        if let manifest = try? Manifest.beside(image) {
            request.properties = Self.properties(of: manifest)
            request.minDiskGB = Int((manifest.sizes.virtual + (1 << 30) - 1) >> 30)
        }
        request.properties.merge(try command.openStack.parsedProperties()) { $1 }
        request.visibility = command.openStack.visibility ?? "private"
        request.useImport = command.openStack.useImport
        request.importTimeout = try parseDuration(command.timeout)
        self.request = request
    }

    /// Glance's common image properties for a dibkit image: the OS (libosinfo names), how Nova should attach
    /// it, and the database (the `sw_database_*` names of Glance's metadata definitions).
    static func properties(of manifest: Manifest) -> [String: String] {
        let ubuntu = manifest.elements.contains("ubuntu")
        var properties = [
            "os_type": "linux", "os_distro": ubuntu ? "ubuntu" : "debian", "os_admin_user": manifest.loginUser,
            "hw_architecture": ["amd64": "x86_64", "arm64": "aarch64"][manifest.arch] ?? manifest.arch,
            "hw_disk_bus": "virtio", "hw_vif_model": "virtio", "hw_firmware_type": "bios",
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

    /// Prints the image id with what was checked and what the extras did, or one JSON object.
    func report(_ result: GlanceUploadResult, extras: OpenStackUploadExtras.Outcome, json: Bool) throws {
        if json { return try printJSON(Report(result: result, extras: extras)) }
        let rate = formatBytes(UInt64(result.bytesPerSecond))
        print("image \(result.imageID) \(result.name): \(result.status), \(result.diskFormat), \(formatBytes(result.bytes)) "
            + "by \(result.method) at \(rate)/s; SHA-512 checked against Glance's (\(result.sha512.prefix(16))…)")
        extras.summary.forEach { print($0) }
        print(result.imageID)
    }

    /// The JSON result: the upload's fields, and the extras' under `extras`.
    private struct Report: Encodable {
        let result: GlanceUploadResult
        let extras: OpenStackUploadExtras.Outcome

        func encode(to encoder: any Encoder) throws {
            try result.encode(to: encoder)
            var container = encoder.container(keyedBy: Key.self)
            try container.encode(extras, forKey: .extras)
        }

        enum Key: CodingKey { case extras }
    }
}
