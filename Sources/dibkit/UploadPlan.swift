import Cloud
import Foundation
import Pipeline

/// What `dibkit upload` does, worked out from its options, the environment and the image's manifest
/// before anything is sent; and how it reports the result.
struct UploadPlan {
    let request: DigitalOceanUploadRequest
    let manifest: Manifest?
    /// The database's ports: `--port`, else the manifest's.
    let ports: [Int]
    /// `NAME.user-data` beside the image, for `doctl … --user-data-file`.
    let userDataFile: URL

    init(command upload: Dibkit.Upload, environment: [String: String], token: String) throws {
        let command = upload.digitalOcean
        let image = URL(fileURLWithPath: upload.image)
        let region = command.region ?? ""
        manifest = try? Manifest.beside(image)
        ports = command.port.isEmpty ? manifest?.ports ?? [] : command.port
        userDataFile = image.deletingPathExtension().appendingPathExtension("user-data")
        let apiURL = try Self.url(command.apiURL ?? environment["DIGITALOCEAN_API_URL"] ?? DigitalOceanCatalog.apiURL, "the API URL")
        let spacesEndpoint = try Self.url(
            command.spacesEndpoint ?? environment["SPACES_ENDPOINT"] ?? DigitalOceanCatalog.spacesEndpoint(region: region),
            "the Spaces endpoint")
        var request = DigitalOceanUploadRequest(
            image: image, region: region, space: command.space ?? "",
            name: upload.name ?? image.deletingPathExtension().lastPathComponent, apiURL: apiURL, spacesEndpoint: spacesEndpoint,
            token: Secret(token),
            spacesCredentials: .init(
                accessKeyID: environment["SPACES_ACCESS_KEY_ID"] ?? "", secretAccessKey: environment["SPACES_SECRET_ACCESS_KEY"] ?? ""))
        request.extraRegions = Self.list(command.regions.map { [$0] } ?? [])
        request.distribution = command.distribution ?? "Debian"
        request.tags = Self.list(command.tags)
        request.keepStaged = command.keepStaged
        request.timeout = try parseDuration(upload.timeout)
        request.description = manifest.map(Self.describe)
        // Conversions can be as large as the image: write them beside it rather than in a small /tmp.
        let folder = image.deletingLastPathComponent()
        if access(folder.path, W_OK) == 0 { request.workDirectory = folder }
        if command.firewall {
            guard !ports.isEmpty else {
                throw CloudError.invalidInput("--firewall needs the database port: no manifest beside \(upload.image) names it; pass --port")
            }
            let tag = command.firewallTag ?? "dibkit-\(manifest?.database ?? "image")"
            request.firewall = FirewallRequest(tag: tag, ports: ports, sources: Self.list(command.allow))
        }
        self.request = request
    }

    /// Prints the result: a few lines and a ready `doctl` command, or one JSON object. Writes the
    /// user-data file first if there is none.
    func report(_ result: DigitalOceanUploadResult, json: Bool) throws {
        let wroteUserData = try writeUserDataIfMissing()
        let doctl = DropletCommand(result: result, region: request.region, userDataFile: userDataFile, tag: request.firewall?.tag).text
        if json { return try printJSON(UploadOutput(result: result, userDataFile: userDataFile.path, doctl: doctl)) }
        print("image \(result.imageID) \(result.name): \(result.status) in \(result.regions.joined(separator: ", "))"
            + (result.minDiskSizeGB.map { " (min disk \($0) GB)" } ?? ""))
        let staged = result.staged
        print("staged: \(staged.format) \(formatBytes(staged.bytes))"
            + (staged.otherFormatBytes.map { " (the other format: \(formatBytes($0)))" } ?? "")
            + " at \(formatBytes(UInt64(staged.bytesPerSecond)))/s; " + (staged.kept ? "kept at \(staged.url)" : "deleted from the Space"))
        if let firewall = result.firewall {
            print("firewall \(firewall.name) (\(firewall.action)): tcp \(firewall.ports.map(String.init).joined(separator: ", ")) "
                + "from \(firewall.sources.joined(separator: ", ")) for droplets tagged \(firewall.tag)")
        }
        let written = manifest?.database.map { "written: \($0) on port \(ports.first.map(String.init) ?? "its default"), a random password" }
            ?? "written: no settings, as no manifest names the database"
        print("user-data: \(userDataFile.path) (\(wroteUserData ? written : "kept as it was"))")
        print("create a droplet:\n  \(doctl)")
    }

    /// `#cloud-config` with the database's port and a random password, readable by the owner only.
    private func writeUserDataIfMissing() throws -> Bool {
        guard !FileManager.default.fileExists(atPath: userDataFile.path) else { return false }
        var text = "#cloud-config\n"
        if let database = manifest?.database {
            let password = (0..<16).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
            let port = ports.first.map { "port: \($0), " } ?? ""
            text += "# dibkit upload wrote this for \(request.name); first-boot settings: docs/elements.md\n"
            text += "dibkit:\n  \(database): {\(port)password: \"\(password)\"}\n"
        }
        guard FileManager.default.createFile(atPath: userDataFile.path, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600]) else {
            throw CloudError.invalidInput("cannot write \(userDataFile.path)")
        }
        return true
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
        guard let url = URL(string: text), url.host != nil else { throw CloudError.invalidInput("\(label) \(text) is not a URL") }
        return url
    }
}

/// The JSON result: the upload's, plus the user-data file and the droplet command.
struct UploadOutput: Encodable {
    let result: DigitalOceanUploadResult
    let userDataFile: String
    let doctl: String

    enum Keys: String, CodingKey { case userDataFile, doctl }

    func encode(to encoder: any Encoder) throws {
        try result.encode(to: encoder)
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(userDataFile, forKey: .userDataFile)
        try container.encode(doctl, forKey: .doctl)
    }
}
