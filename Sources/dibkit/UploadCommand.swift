import ArgumentParser
import Cloud
import Foundation
import Pipeline
import CloudHTTP

extension Dibkit {
    /// `dibkit upload --cloud digitalocean IMAGE --region nyc3 --space NAME`: a custom image at DigitalOcean.
    struct Upload: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Upload an image to a cloud: a DigitalOcean custom image, staged in a Space.",
            discussion: """
                The image goes up as the smaller of qcow2 and gzip'd raw, by multipart upload to the Space, \
                readable by everyone only until DigitalOcean has fetched it, then deleted (--keep-staged keeps \
                it). Credentials: DIGITALOCEAN_ACCESS_TOKEN (or --token-file), SPACES_ACCESS_KEY_ID and \
                SPACES_SECRET_ACCESS_KEY. DIGITALOCEAN_API_URL and SPACES_ENDPOINT (or the flags) point \
                elsewhere, e.g. at test servers. Ctrl-C aborts the upload, deletes a half-imported image and \
                (unless --keep-staged) the staged object.
                """)

        @Option(help: "The cloud: digitalocean.")
        var cloud: CloudName

        @Argument(help: "The image (qcow2 or raw); its manifest NAME.json beside it gives the database and ports.")
        var image: String

        @Option(help: "Region to stage and import in (one with Spaces, e.g. nyc3, ams3, fra1).")
        var region: String

        @Option(help: "The Space (bucket) in that region to stage the image in.")
        var space: String

        @Option(help: ArgumentHelp("More regions to copy the image to, comma-separated.", valueName: "a,b"))
        var regions: String?

        @Option(help: "The image's name at DigitalOcean (default: the file's name without extension).")
        var name: String?

        @Option(help: "Distribution shown for the image.")
        var distribution = "Debian"

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

        @Option(help: ArgumentHelp("How long to wait for the import and the copies: 60m, 90s, 2h.", valueName: "duration"))
        var timeout = "60m"

        @Option(help: ArgumentHelp("Read the API token from this file instead of DIGITALOCEAN_ACCESS_TOKEN.", valueName: "file"))
        var tokenFile: String?

        @Option(name: .customLong("api-url"), help: ArgumentHelp("DigitalOcean API base URL (default: $DIGITALOCEAN_API_URL, then https://api.digitalocean.com).", valueName: "url"))
        var apiURL: String?

        @Option(help: ArgumentHelp("Spaces endpoint (default: $SPACES_ENDPOINT, then https://REGION.digitaloceanspaces.com).", valueName: "url"))
        var spacesEndpoint: String?

        @Flag(help: "Print one JSON result object and no progress.")
        var json = false

        enum CloudName: String, ExpressibleByArgument, CaseIterable { case digitalocean }

        func validate() throws {
            _ = try parseDuration(timeout)
            if !allow.isEmpty, !firewall { throw ValidationError("--allow goes with --firewall") }
            if firewallTag != nil, !firewall { throw ValidationError("--firewall-tag goes with --firewall") }
        }

        func run() async throws {
            let environment = ProcessInfo.processInfo.environment
            let token = (try? readToken(environment: environment)) ?? ""
            let redactor = SecretRedactor(secrets: [
                token, environment["SPACES_ACCESS_KEY_ID"] ?? "", environment["SPACES_SECRET_ACCESS_KEY"] ?? "",
            ])
            do {
                let plan = try UploadPlan(command: self, environment: environment, token: try readToken(environment: environment))
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
}

/// `90s`, `60m`, `2h` or plain seconds.
func parseDuration(_ text: String) throws -> Duration {
    let units: [Character: Int64] = ["s": 1, "m": 60, "h": 3600]
    let unit = text.last.flatMap { units[$0] }
    let number = unit == nil ? text : String(text.dropLast())
    guard let value = Int64(number), value > 0 else {
        throw ValidationError("--timeout \(text) is not a duration such as 90s, 60m or 2h")
    }
    return .seconds(value * (unit ?? 1))
}
