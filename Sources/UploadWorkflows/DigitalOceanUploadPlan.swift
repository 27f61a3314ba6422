import CloudHTTP
public import DigitalOcean
public import Foundation
import HostProcesses
public import Reporting
import S3

/// What `dibkit upload --cloud digitalocean` was asked, as given on its command line.
public struct DigitalOceanUploadSettings: Sendable {
    public var image: URL
    /// The image's name in the cloud (default: the file's name without extension).
    public var name: String?
    public var timeout: Duration = .seconds(3600)
    public var region: String
    public var space: String
    /// More regions, comma-separated or repeated.
    public var regions: [String] = []
    public var distribution: String?
    /// Tags, comma-separated or repeated.
    public var tags: [String] = []
    public var keepStaged = false
    public var firewall = false
    /// Addresses or CIDRs the firewall lets in, comma-separated or repeated.
    public var allow: [String] = []
    public var firewallTag: String?
    /// Database ports for the firewall and user-data (default: the manifest's).
    public var ports: [Int] = []
    /// Read the API token from this file instead of `DIGITALOCEAN_ACCESS_TOKEN`.
    public var tokenFile: URL?
    public var apiURL: String?
    public var spacesEndpoint: String?

    public init(image: URL, region: String, space: String) {
        self.image = image
        self.region = region
        self.space = space
    }
}

/// What `dibkit upload --cloud digitalocean` does, worked out from its settings, the environment and the
/// image's manifest before anything is sent.
public struct DigitalOceanUploadPlan: Sendable {
    public let request: DigitalOceanUploadRequest
    public let manifest: Manifest?
    /// The database's ports: the settings', else the manifest's.
    public let ports: [Int]
    /// `NAME.user-data` beside the image, for `doctl … --user-data-file`.
    public let userDataFile: URL

    /// - Throws: `DigitalOceanError.invalidInput` for an unreadable token file, a bad URL, a firewall without a port.
    public init(_ settings: DigitalOceanUploadSettings, environment: [String: String]) throws {
        let image = settings.image
        manifest = try? Manifest.beside(image)
        ports = settings.ports.isEmpty ? manifest?.ports ?? [] : settings.ports
        userDataFile = image.deletingPathExtension().appendingPathExtension("user-data")
        let apiURL = try Self.url(settings.apiURL ?? environment["DIGITALOCEAN_API_URL"] ?? DigitalOceanCatalog.apiURL, "the API URL")
        let spacesEndpoint = try Self.url(
            settings.spacesEndpoint ?? environment["SPACES_ENDPOINT"] ?? DigitalOceanCatalog.spacesEndpoint(region: settings.region),
            "the Spaces endpoint")
        var request = DigitalOceanUploadRequest(
            image: image, region: settings.region, space: settings.space,
            name: settings.name ?? image.deletingPathExtension().lastPathComponent, apiURL: apiURL, spacesEndpoint: spacesEndpoint,
            token: Secret(try Self.token(settings, environment: environment)),
            spacesCredentials: .init(
                accessKeyID: environment["SPACES_ACCESS_KEY_ID"] ?? "", secretAccessKey: environment["SPACES_SECRET_ACCESS_KEY"] ?? ""))
        request.extraRegions = Self.list(settings.regions)
        request.distribution = settings.distribution ?? "Debian"
        request.tags = Self.list(settings.tags)
        request.keepStaged = settings.keepStaged
        request.timeout = settings.timeout
        request.description = manifest.map(Self.describe)
        // Conversions can be as large as the image: write them beside it rather than in a small /tmp.
        let folder = image.deletingLastPathComponent()
        if access(folder.path, W_OK) == 0 { request.workDirectory = folder }
        if settings.firewall {
            guard !ports.isEmpty else {
                throw DigitalOceanError.invalidInput("--firewall needs the database port: no manifest beside \(image.path) names it; pass --port")
            }
            let tag = settings.firewallTag ?? "dibkit-\(manifest?.database ?? "image")"
            request.firewall = FirewallRequest(tag: tag, ports: ports, sources: Self.list(settings.allow))
        }
        self.request = request
    }

    /// The secrets no output may show: the token and the Spaces keys, as far as they can be read.
    public static func secrets(_ settings: DigitalOceanUploadSettings, environment: [String: String]) -> [String] {
        [(try? token(settings, environment: environment)) ?? "", environment["SPACES_ACCESS_KEY_ID"] ?? "",
         environment["SPACES_SECRET_ACCESS_KEY"] ?? ""]
    }

    /// Uploads, then writes the user-data file if there is none.
    /// - Returns: the upload's result with the user-data file and a ready `doctl` line.
    public func run(progress: @escaping ProgressHandler) async throws -> DigitalOceanUploadOutcome {
        let result = try await DigitalOceanUpload(request).run(events: progress)
        let wroteUserData = try writeUserDataIfMissing()
        let doctl = DropletCommand(result: result, region: request.region, userDataFile: userDataFile, tag: request.firewall?.tag).text
        return DigitalOceanUploadOutcome(
            result: result, userDataFile: userDataFile.path, doctl: doctl, wroteUserData: wroteUserData,
            database: manifest?.database, port: ports.first)
    }

    /// `#cloud-config` with the database's port and a random password, readable by the owner only; created
    /// only where nothing has the name yet (a file or a link there is kept, never written through).
    /// - Returns: whether the file was written.
    func writeUserDataIfMissing() throws -> Bool {
        var text = "#cloud-config\n"
        if let database = manifest?.database {
            let password = (0..<16).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
            let port = ports.first.map { "port: \($0), " } ?? ""
            text += "# dibkit upload wrote this for \(request.name); first-boot settings: docs/elements.md\n"
            text += "dibkit:\n  \(database): {\(port)password: \"\(password)\"}\n"
        }
        do {
            return try createPrivateFile(at: userDataFile, contents: Data(text.utf8))
        } catch {
            throw DigitalOceanError.invalidInput("cannot write the user-data file: \(error)")
        }
    }

    /// The token from the token file, else `DIGITALOCEAN_ACCESS_TOKEN`, else empty (validation says what to do).
    private static func token(_ settings: DigitalOceanUploadSettings, environment: [String: String]) throws -> String {
        guard let tokenFile = settings.tokenFile else { return environment["DIGITALOCEAN_ACCESS_TOKEN"] ?? "" }
        do {
            return try String(contentsOf: tokenFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        } catch {
            throw DigitalOceanError.invalidInput("cannot read --token-file \(tokenFile.path): \(error.localizedDescription)")
        }
    }

    private static func describe(_ manifest: Manifest) -> String {
        let database = [manifest.database, manifest.databaseVersion?.version].compactMap { $0 }.joined(separator: " ")
        return "\(database.isEmpty ? manifest.name : database) on Debian \(manifest.release), built by dibkit \(manifest.dibkitVersion) "
            + "(sha256 \(manifest.sha256.prefix(16)))"
    }

    /// Values given comma-separated, repeated, or both.
    private static func list(_ values: [String]) -> [String] {
        values.flatMap { $0.split(separator: ",") }.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    private static func url(_ text: String, _ label: String) throws -> URL {
        guard let url = URL(string: text), url.host != nil else { throw DigitalOceanError.invalidInput("\(label) \(text) is not a URL") }
        return url
    }
}

/// What `dibkit upload --cloud digitalocean` did: the upload's result (its fields at the top level of the JSON
/// object), the user-data file and the droplet command.
public struct DigitalOceanUploadOutcome: Sendable, Encodable {
    public let result: DigitalOceanUploadResult
    public let userDataFile: String
    public let doctl: String
    /// Whether the user-data file was written now (else it was kept as it was).
    public let wroteUserData: Bool
    /// The database and port the written user-data configures, from the manifest.
    public let database: String?
    public let port: Int?

    enum Keys: String, CodingKey { case userDataFile, doctl }

    public func encode(to encoder: any Encoder) throws {
        try result.encode(to: encoder)
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(userDataFile, forKey: .userDataFile)
        try container.encode(doctl, forKey: .doctl)
    }
}
