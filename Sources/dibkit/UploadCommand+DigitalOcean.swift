import ArgumentParser
import Cloud
import CloudHTTP
import Foundation

/// The options only `--cloud digitalocean` takes.
struct DigitalOceanUploadOptions: ParsableArguments {
    @Option(help: "Region to stage and import in (one with Spaces, e.g. nyc3, ams3, fra1).")
    var region: String?

    @Option(help: "The Space (bucket) in that region to stage the image in.")
    var space: String?

    @Option(help: ArgumentHelp("More regions to copy the image to, comma-separated.", valueName: "a,b"))
    var regions: String?

    @Option(help: "Distribution shown for the image (default: Debian).")
    var distribution: String?

    @Option(help: ArgumentHelp("Tags for the image, comma-separated or repeated.", valueName: "tag"))
    var tags: [String] = []

    @Flag(help: "Leave the staged object in the Space after the import.")
    var keepStaged = false

    @Flag(help: "Create or update a cloud firewall for --firewall-tag: ssh and the database port from --allow only.")
    var firewall = false

    @Option(help: ArgumentHelp("Addresses or CIDRs the firewall lets in (repeat, or comma-separate).", valueName: "cidr"))
    var allow: [String] = []

    @Option(help: ArgumentHelp("The droplet tag the firewall applies to (default: dibkit-DATABASE).", valueName: "tag"))
    var firewallTag: String?

    @Option(help: ArgumentHelp("Database port(s) for the firewall and user-data (default: the manifest's).", valueName: "port"))
    var port: [Int] = []

    @Option(help: ArgumentHelp("Read the API token from this file instead of DIGITALOCEAN_ACCESS_TOKEN.", valueName: "file"))
    var tokenFile: String?

    @Option(name: .customLong("api-url"), help: ArgumentHelp("DigitalOcean API base URL (default: $DIGITALOCEAN_API_URL, then https://api.digitalocean.com).", valueName: "url"))
    var apiURL: String?

    @Option(help: ArgumentHelp("Spaces endpoint (default: $SPACES_ENDPOINT, then https://REGION.digitaloceanspaces.com).", valueName: "url"))
    var spacesEndpoint: String?

    /// The options given on the command line, by flag name.
    var given: [String] {
        let set: [(String, Bool)] = [
            ("--region", region != nil), ("--space", space != nil), ("--regions", regions != nil),
            ("--distribution", distribution != nil), ("--tags", !tags.isEmpty), ("--keep-staged", keepStaged),
            ("--firewall", firewall), ("--allow", !allow.isEmpty), ("--firewall-tag", firewallTag != nil), ("--port", !port.isEmpty),
            ("--token-file", tokenFile != nil), ("--api-url", apiURL != nil), ("--spaces-endpoint", spacesEndpoint != nil),
        ]
        return set.filter(\.1).map(\.0)
    }

    /// Checks the options when `--cloud digitalocean` is chosen (not `validate()`, which runs for every cloud).
    func validateChosen() throws {
        if region == nil { throw ValidationError("--cloud digitalocean needs --region (one with Spaces, e.g. nyc3)") }
        if space == nil { throw ValidationError("--cloud digitalocean needs --space NAME to stage the image in") }
        if !allow.isEmpty, !firewall { throw ValidationError("--allow goes with --firewall") }
        if firewallTag != nil, !firewall { throw ValidationError("--firewall-tag goes with --firewall") }
    }

    /// The token from --token-file, else DIGITALOCEAN_ACCESS_TOKEN, else empty (validation says what to do).
    func readToken(environment: [String: String]) throws -> String {
        guard let tokenFile else { return environment["DIGITALOCEAN_ACCESS_TOKEN"] ?? "" }
        do {
            return try String(contentsOfFile: tokenFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        } catch {
            throw CloudError.invalidInput("cannot read --token-file \(tokenFile): \(error.localizedDescription)")
        }
    }
}

extension Dibkit.Upload {
    /// `--cloud digitalocean`: stage in a Space, import, copy, firewall; prints the image and a doctl line.
    func runDigitalOcean() async throws {
        let environment = ProcessInfo.processInfo.environment
        let token = (try? digitalOcean.readToken(environment: environment)) ?? ""
        let redactor = SecretRedactor(secrets: [
            token, environment["SPACES_ACCESS_KEY_ID"] ?? "", environment["SPACES_SECRET_ACCESS_KEY"] ?? "",
        ])
        do {
            let plan = try UploadPlan(command: self, environment: environment, token: try digitalOcean.readToken(environment: environment))
            let (request, progress) = (plan.request, UploadProgressPrinter(quiet: json, terminal: isatty(STDERR_FILENO) == 1, redactor: redactor))
            let result = try await Interruption.run {
                try await DigitalOceanUpload(request).run { progress.handle($0) }
            }
            progress.end()
            try plan.report(result, json: json)
        } catch {
            throw CommandFailure(error, json: json, redactor: redactor)
        }
    }
}
