/// What dibkit knows of DigitalOcean without asking it, so bad input fails before any network work. The
/// live region list (`GET /v2/regions`) is checked next, once the token is known to work.
public enum DigitalOceanCatalog {
    /// Region slugs a custom image may be imported to or copied to: the OpenAPI description's
    /// `region_slug` list, plus atl1 (opened after that list was written).
    public static let regions: Set<String> = [
        "ams1", "ams2", "ams3", "atl1", "blr1", "fra1", "lon1", "nyc1", "nyc2", "nyc3", "sfo1", "sfo2", "sfo3", "sgp1",
        "syd1", "tor1",
    ]

    /// Regions with Spaces, where the image can be staged (DigitalOcean's Spaces availability list).
    public static let spacesRegions: Set<String> = [
        "ams3", "atl1", "blr1", "fra1", "lon1", "nyc3", "sfo2", "sfo3", "sgp1", "syd1", "tor1",
    ]

    /// Values `distribution` takes; DigitalOcean turns any other into `Unknown`.
    public static let distributions: [String] = [
        "Arch Linux", "CentOS", "CoreOS", "Debian", "Fedora", "Fedora Atomic", "FreeBSD", "Gentoo", "openSUSE",
        "RancherOS", "Rocky Linux", "Ubuntu", "Unknown",
    ]

    /// DigitalOcean refuses images larger than this once decompressed.
    public static let largestImage: UInt64 = 100_000_000_000

    /// Whether `name` is a valid tag: letters, digits, `:`, `-`, `_`; at most 255 characters.
    public static func isValidTag(_ name: String) -> Bool {
        !name.isEmpty && name.count <= 255 && name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || ":-_".contains($0)) }
    }

    /// The default Spaces endpoint of a region.
    public static func spacesEndpoint(region: String) -> String { "https://\(region).digitaloceanspaces.com" }

    /// The API's default base URL.
    public static let apiURL = "https://api.digitalocean.com"
}
