import ArgumentParser
import Reporting
import UploadWorkflows
import CloudHTTP
import DigitalOcean
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
}

extension Dibkit.Upload {
    /// `--cloud digitalocean`: stage in a Space, import, copy, firewall; prints the image and a doctl line.
    func runDigitalOcean() async throws {
        let environment = ProcessInfo.processInfo.environment
        var settings = DigitalOceanUploadSettings(
            image: URL(fileURLWithPath: image), region: digitalOcean.region ?? "", space: digitalOcean.space ?? "")
        settings.name = name
        settings.regions = digitalOcean.regions.map { [$0] } ?? []
        settings.distribution = digitalOcean.distribution
        settings.tags = digitalOcean.tags
        settings.keepStaged = digitalOcean.keepStaged
        settings.firewall = digitalOcean.firewall
        settings.allow = digitalOcean.allow
        settings.firewallTag = digitalOcean.firewallTag
        settings.ports = digitalOcean.port
        settings.tokenFile = digitalOcean.tokenFile.map { URL(fileURLWithPath: $0) }
        settings.apiURL = digitalOcean.apiURL
        settings.spacesEndpoint = digitalOcean.spacesEndpoint
        let redactor = SecretRedactor(secrets: DigitalOceanUploadPlan.secrets(settings, environment: environment))
        do {
            settings.timeout = try Quantities.duration(timeout)
            let (plan, printer) = (try DigitalOceanUploadPlan(settings, environment: environment), ProgressPrinter(quiet: json, redactor: redactor))
            let outcome = try await Interruption.run { try await plan.run(progress: printer.handle) }
            printer.end()
            try report(outcome)
        } catch {
            throw CommandFailure(error, json: json, redactor: redactor)
        }
    }

    /// Prints the result: a few lines and a ready `doctl` command, or one JSON object.
    private func report(_ outcome: DigitalOceanUploadOutcome) throws {
        if json { return try printJSON(outcome) }
        let result = outcome.result
        print("image \(result.imageID) \(result.name): \(result.status) in \(result.regions.joined(separator: ", "))"
            + (result.minDiskSizeGB.map { " (min disk \($0) GB)" } ?? ""))
        let staged = result.staged
        print("staged: \(staged.format) \(Quantities.format(bytes: staged.bytes))"
            + (staged.otherFormatBytes.map { " (the other format: \(Quantities.format(bytes: $0)))" } ?? "")
            + " at \(Quantities.format(bytes: UInt64(staged.bytesPerSecond)))/s; "
            + (staged.kept ? "kept at \(staged.url)" : "deleted from the Space"))
        if let firewall = result.firewall {
            print("firewall \(firewall.name) (\(firewall.action)): tcp \(firewall.ports.map(String.init).joined(separator: ", ")) "
                + "from \(firewall.sources.joined(separator: ", ")) for droplets tagged \(firewall.tag)")
        }
        let written = outcome.database.map { "written: \($0) on port \(outcome.port.map(String.init) ?? "its default"), a random password" }
            ?? "written: no settings, as no manifest names the database"
        print("user-data: \(outcome.userDataFile) (\(outcome.wroteUserData ? written : "kept as it was"))")
        print("create a droplet:\n  \(outcome.doctl)")
    }
}
