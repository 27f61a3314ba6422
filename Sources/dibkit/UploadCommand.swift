import ArgumentParser
import Foundation
import Reporting

extension Dibkit {
    /// `dibkit upload --cloud digitalocean|openstack IMAGE …`: the image made a cloud's image.
    struct Upload: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Upload an image to a cloud: an OpenStack Glance image, or a DigitalOcean custom image staged in a Space.",
            discussion: """
                openstack: credentials from clouds.yaml (--os-cloud or OS_CLOUD) or OS_* variables; the image \
                endpoint from Keystone's catalog. The disk format is told by content; os_distro, hw_* and \
                sw_database_* properties come from the manifest NAME.json beside the image (--property adds \
                more). The bytes are streamed with their SHA-512, checked against Glance's. Ctrl-C deletes \
                the unfinished image.

                digitalocean: the image goes up as the smaller of qcow2 and gzip'd raw, by multipart upload to \
                the Space, readable by everyone only until DigitalOcean has fetched it, then deleted \
                (--keep-staged keeps it). Credentials: DIGITALOCEAN_ACCESS_TOKEN (or --token-file), \
                SPACES_ACCESS_KEY_ID and SPACES_SECRET_ACCESS_KEY. DIGITALOCEAN_API_URL and SPACES_ENDPOINT \
                (or the flags) point elsewhere, e.g. at test servers. Ctrl-C aborts the upload, deletes a \
                half-imported image and (unless --keep-staged) the staged object.
                """)

        @Option(help: "The cloud: openstack or digitalocean.")
        var cloud: CloudName

        @Argument(help: "The image (qcow2 or raw); its manifest NAME.json beside it gives the database, ports and properties.")
        var image: String

        @Option(help: "The image's name in the cloud (default: the file's name without extension).")
        var name: String?

        @Option(help: ArgumentHelp("How long to wait for the import (and DigitalOcean's copies): 60m, 90s, 2h.", valueName: "duration"))
        var timeout = "60m"

        @Flag(help: "Print one JSON result object and no progress.")
        var json = false

        @OptionGroup(title: "OpenStack")
        var openStack: OpenStackUploadOptions

        @OptionGroup(title: "DigitalOcean")
        var digitalOcean: DigitalOceanUploadOptions

        enum CloudName: String, ExpressibleByArgument, CaseIterable { case openstack, digitalocean }

        func validate() throws {
            do { _ = try Quantities.duration(timeout) } catch { throw ValidationError("--timeout \(error)") }
            let (stray, owner) = cloud == .openstack ? (digitalOcean.given, "digitalocean") : (openStack.given, "openstack")
            if let option = stray.first {
                throw ValidationError("\(option) is for --cloud \(owner), not --cloud \(cloud.rawValue)")
            }
            switch cloud {
            case .openstack: try openStack.validateChosen()
            case .digitalocean: try digitalOcean.validateChosen()
            }
        }

        func run() async throws {
            switch cloud {
            case .openstack: try await runOpenStack()
            case .digitalocean: try await runDigitalOcean()
            }
        }
    }
}
