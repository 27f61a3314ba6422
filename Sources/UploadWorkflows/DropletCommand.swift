import DigitalOcean
import Foundation
import HostProcesses

/// A `doctl compute droplet create` line that boots the uploaded image with the user-data file: the
/// smallest common size whose disk holds the image, every ssh key of the account (dibkit images take
/// keys only), and the firewall's tag.
struct DropletCommand {
    let result: DigitalOceanUploadResult
    let region: String
    let userDataFile: URL
    let tag: String?

    /// Basic droplet sizes and their disks in GB, smallest first.
    static let sizes: [(slug: String, diskGB: Int)] = [
        ("s-1vcpu-1gb", 25), ("s-1vcpu-2gb", 50), ("s-2vcpu-4gb", 80), ("s-4vcpu-8gb", 160), ("s-8vcpu-16gb", 320),
    ]

    var text: String {
        let size = Self.sizes.first { $0.diskGB >= result.minDiskSizeGB ?? 0 }?.slug ?? Self.sizes.last!.slug
        var words = [
            "doctl compute droplet create \(shellQuote(result.name + "-1"))", "--image \(result.imageID)", "--region \(region)",
            "--size \(size)", "--ssh-keys \"$(doctl compute ssh-key list --format ID --no-header | paste -sd, -)\"",
            "--user-data-file \(shellQuote(userDataFile.path))",
        ]
        if let tag { words.append("--tag-name \(tag)") }
        words.append("--wait")
        return words.joined(separator: " ")
    }
}
