public import Foundation
public import CloudHTTP
public import S3

/// Everything `DigitalOceanUpload` needs: the image, where it goes, and the credentials.
public struct DigitalOceanUploadRequest: Sendable {
    /// The image file (qcow2 or raw, told apart by content).
    public var image: URL
    /// Where the image is staged (its Space is in this region) and imported.
    public var region: String
    /// The Space (bucket) that holds the image while DigitalOcean fetches it.
    public var space: String
    /// Regions the image is copied to after the import.
    public var extraRegions: [String] = []
    /// The custom image's name at DigitalOcean.
    public var name: String
    public var distribution = "Debian"
    public var description: String?
    public var tags: [String] = []
    /// Leave the staged object in the Space after the import.
    public var keepStaged = false
    /// A cloud firewall to create or update after the import.
    public var firewall: FirewallRequest?
    /// How long the whole upload may take, import and copies included.
    public var timeout: Duration = .seconds(3600)
    public var apiURL: URL
    public var spacesEndpoint: URL
    public var token: Secret
    public var spacesCredentials: SigV4Signer.Credentials
    public var retry = RetryPolicy.standard
    public var polling = PollingPolicy.standard
    /// Parts sent at once, and their size (raised when a file would need more than 10,000 parts).
    public var parallelParts = 4
    public var partSize = 16 << 20
    /// Where the staged conversions are written (they may be as large as the image); a temporary folder
    /// is made inside it.
    public var workDirectory = URL(fileURLWithPath: NSTemporaryDirectory())

    public init(image: URL, region: String, space: String, name: String, apiURL: URL, spacesEndpoint: URL,
                token: Secret, spacesCredentials: SigV4Signer.Credentials) {
        self.image = image
        self.region = region
        self.space = space
        self.name = name
        self.apiURL = apiURL
        self.spacesEndpoint = spacesEndpoint
        self.token = token
        self.spacesCredentials = spacesCredentials
    }

    /// The secrets in this request, for `SecretRedactor`.
    public var secrets: [String] {
        [token.value, spacesCredentials.accessKeyID, spacesCredentials.secretAccessKey]
    }
}

/// A cloud firewall for the droplets carrying `tag`: inbound ssh and the database ports from `sources` only.
public struct FirewallRequest: Sendable, Equatable {
    public var tag: String
    /// TCP ports to open besides ssh (22): the database's.
    public var ports: [Int]
    /// Addresses or CIDRs (IPv4 or IPv6) allowed in.
    public var sources: [String]

    public init(tag: String, ports: [Int], sources: [String]) {
        self.tag = tag
        self.ports = ports
        self.sources = sources
    }

    /// The firewall's name: the tag with characters names may not hold turned into `-`, prefixed with
    /// `dibkit-` unless it starts so (an unrelated firewall of the account is never taken over).
    public var name: String {
        let valid = String(tag.map { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == ".") ? $0 : "-" })
        return valid.hasPrefix("dibkit-") ? valid : "dibkit-" + valid
    }
}

/// A value never shown: descriptions print a mask.
public struct Secret: Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    public let value: String
    public init(_ value: String) { self.value = value }
    public var description: String { SecretRedactor.mask }
    public var debugDescription: String { SecretRedactor.mask }
}

/// How often an import or a copy is looked at: `initial`, then each wait `multiplier` times longer, up to
/// `maximum`.
public struct PollingPolicy: Sendable, Equatable {
    public var initial: Duration
    public var multiplier: Double
    public var maximum: Duration

    public init(initial: Duration, multiplier: Double = 1.5, maximum: Duration) {
        self.initial = initial
        self.multiplier = multiplier
        self.maximum = maximum
    }

    /// 5 s, growing to 30 s: an import takes minutes, and DigitalOcean allows 5,000 requests an hour.
    public static let standard = PollingPolicy(initial: .seconds(5), maximum: .seconds(30))
}
