import Foundation
import S3
public import QcowIO

extension DigitalOceanUploadRequest {
    /// Checks everything that can be checked without the network: credentials present, regions known and
    /// with Spaces, names and tags well-formed, the image readable, without a backing file and small enough.
    /// - Returns: what QcowIO read of the image.
    /// - Throws: `DigitalOceanError.invalidInput` naming the problem and what to do.
    public func validate() throws -> ImageInfo {
        if token.value.isEmpty {
            throw DigitalOceanError.invalidInput("no DigitalOcean API token: set DIGITALOCEAN_ACCESS_TOKEN or pass --token-file FILE")
        }
        if spacesCredentials.accessKeyID.isEmpty || spacesCredentials.secretAccessKey.isEmpty {
            throw DigitalOceanError.invalidInput("no Spaces keys: set SPACES_ACCESS_KEY_ID and SPACES_SECRET_ACCESS_KEY (made under API → Spaces Keys)")
        }
        try validateRegions()
        try validateNames()
        if let firewall { try Self.validate(firewall) }
        guard timeout > .zero else { throw DigitalOceanError.invalidInput("--timeout must be more than zero") }
        for (label, url) in [("API URL", apiURL), ("Spaces endpoint", spacesEndpoint)] where !["http", "https"].contains(url.scheme ?? "") || url.host == nil {
            throw DigitalOceanError.invalidInput("the \(label) \(url.absoluteString) is not an http(s) URL")
        }
        return try validateImage()
    }

    private func validateRegions() throws {
        let known = DigitalOceanCatalog.regions.sorted().joined(separator: ", ")
        guard DigitalOceanCatalog.regions.contains(region) else {
            throw DigitalOceanError.invalidInput("unknown region \(region); DigitalOcean's regions: \(known)")
        }
        guard DigitalOceanCatalog.spacesRegions.contains(region) else {
            let spaces = DigitalOceanCatalog.spacesRegions.sorted().joined(separator: ", ")
            throw DigitalOceanError.invalidInput(
                "\(region) has no Spaces to stage the image in; use --region with one of \(spaces) and --regions \(region) to copy it there")
        }
        for extra in extraRegions where !DigitalOceanCatalog.regions.contains(extra) {
            throw DigitalOceanError.invalidInput("unknown region \(extra) in --regions; DigitalOcean's regions: \(known)")
        }
        if extraRegions.contains(region) {
            throw DigitalOceanError.invalidInput("--regions lists \(region), where the image is imported anyway; leave it out")
        }
        if Set(extraRegions).count != extraRegions.count {
            throw DigitalOceanError.invalidInput("--regions lists a region twice")
        }
    }

    private func validateNames() throws {
        let spaceCharacters = space.allSatisfy { $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "-") }
        guard (3...63).contains(space.count), spaceCharacters, space.first != "-", space.last != "-" else {
            throw DigitalOceanError.invalidInput("--space \(space) is not a Space name (3–63 lowercase letters, digits and dashes)")
        }
        guard !name.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw DigitalOceanError.invalidInput("the image name is empty; pass --name")
        }
        guard DigitalOceanCatalog.distributions.contains(distribution) else {
            throw DigitalOceanError.invalidInput(
                "--distribution \(distribution) is not one DigitalOcean knows (it would become Unknown); use one of: "
                    + DigitalOceanCatalog.distributions.joined(separator: ", "))
        }
        for tag in tags where !DigitalOceanCatalog.isValidTag(tag) {
            throw DigitalOceanError.invalidInput("tag \"\(tag)\" is not valid: letters, digits, ':', '-' and '_' only, at most 255")
        }
    }

    private static func validate(_ firewall: FirewallRequest) throws {
        guard DigitalOceanCatalog.isValidTag(firewall.tag) else {
            throw DigitalOceanError.invalidInput("firewall tag \"\(firewall.tag)\" is not valid: letters, digits, ':', '-' and '_' only")
        }
        guard !firewall.sources.isEmpty else {
            throw DigitalOceanError.invalidInput("--firewall needs --allow CIDR (e.g. --allow 203.0.113.0/24): which addresses may reach ssh and the database")
        }
        for source in firewall.sources where !isAddressOrCIDR(source) {
            throw DigitalOceanError.invalidInput("--allow \(source) is not an IPv4 or IPv6 address or CIDR (e.g. 203.0.113.0/24, 2001:db8::/32)")
        }
        for port in firewall.ports where !(1...65535).contains(port) {
            throw DigitalOceanError.invalidInput("port \(port) is not between 1 and 65535")
        }
    }

    /// `203.0.113.7`, `203.0.113.0/24`, `2001:db8::1` or `2001:db8::/32`.
    static func isAddressOrCIDR(_ text: String) -> Bool {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count <= 2 else { return false }
        var buffer = [UInt8](repeating: 0, count: 16)
        let address = String(parts[0])
        let maximumPrefix: Int
        if inet_pton(AF_INET, address, &buffer) == 1 {
            maximumPrefix = 32
        } else if inet_pton(AF_INET6, address, &buffer) == 1 {
            maximumPrefix = 128
        } else {
            return false
        }
        guard parts.count == 2 else { return true }
        guard let prefix = Int(parts[1]) else { return false }
        return (0...maximumPrefix).contains(prefix)
    }

    private func validateImage() throws -> ImageInfo {
        let imageInfo: ImageInfo
        do {
            imageInfo = try QcowIO.info(of: image)
        } catch {
            throw DigitalOceanError.invalidInput("cannot use \(image.path) as an image: \(error)")
        }
        guard access(image.path, R_OK) == 0 else {
            throw DigitalOceanError.invalidInput("cannot read \(image.path): \(String(cString: strerror(errno)))")
        }
        if let backing = imageInfo.backingFile {
            throw DigitalOceanError.invalidInput(
                "\(image.path) is a qcow2 overlay on the backing file \(backing); dibkit uploads no image with a backing file: "
                    + "flatten it with dibkit convert first (dibkit convert \(image.lastPathComponent) FLAT.qcow2)")
        }
        guard imageInfo.virtualSize > 0 else { throw DigitalOceanError.invalidInput("\(image.path) is empty") }
        guard imageInfo.virtualSize <= DigitalOceanCatalog.largestImage else {
            throw DigitalOceanError.invalidInput(
                "\(image.path) is \(imageInfo.virtualSize) bytes uncompressed; DigitalOcean imports images up to 100 GB: build a smaller disk (--size)")
        }
        return imageInfo
    }
}
