import ArgumentParser
import CloudHTTP
import Foundation
import OpenStack

/// The options only `--cloud openstack` takes.
struct OpenStackUploadOptions: ParsableArguments {
    @Option(help: "The cloud in clouds.yaml (default: $OS_CLOUD, then the OS_* variables, then the only cloud).")
    var osCloud: String?

    @Option(name: .customLong("property"), help: ArgumentHelp("An image property to set, beside the manifest's (repeat).", valueName: "key=value"))
    var properties: [String] = []

    @Flag(name: .customLong("import"), help: "Use interoperable import (glance-direct: stage, then import) when the cloud offers it.")
    var useImport = false

    @Option(help: "private (the default), shared, community or public.")
    var visibility: String?

    @OptionGroup(title: "OpenStack: per-cloud touches and Trove")
    var extras: OpenStackUploadExtras

    /// The options given on the command line, by flag name.
    var given: [String] {
        [("--os-cloud", osCloud != nil), ("--property", !properties.isEmpty), ("--import", useImport), ("--visibility", visibility != nil)]
            .filter(\.1).map(\.0) + extras.given
    }

    /// Checks the options when `--cloud openstack` is chosen (not `validate()`, which runs for every cloud).
    func validateChosen() throws {
        _ = try parsedProperties()
    }

    /// `--property k=v` as a mapping; a later one wins.
    func parsedProperties() throws -> [String: String] {
        var result: [String: String] = [:]
        for text in properties {
            guard let equals = text.firstIndex(of: "="), equals != text.startIndex else {
                throw ValidationError("--property \(text) is not key=value")
            }
            result[String(text[..<equals])] = String(text[text.index(after: equals)...])
        }
        return result
    }
}

extension Dibkit.Upload {
    /// `--cloud openstack`: authenticate, upload to Glance, check the hash; prints the image id.
    ///
    /// The steps, in order: the image and request checked (offline), then inside one Keystone session: the
    /// extras' checks (Trove, the keypair), the image to send (a touched copy when there is something to
    /// touch), the Glance upload, then the Trove registration that needs the new image's id.
    func runOpenStack() async throws {
        var redactor = SecretRedactor(secrets: [])
        do {
            let plan = try OpenStackUploadPlan(command: self)
            // The image (readable, no backing file), name and properties before anything else is read or sent.
            _ = try plan.request.validate()
            let credentials = try CloudCredentials.load(cloud: openStack.osCloud)
            let extras = openStack.extras
            redactor = SecretRedactor(secrets: credentials.secrets + [extras.troveTransportURL].compactMap { $0 })
            let progress = UploadProgressPrinter(quiet: json, terminal: isatty(STDERR_FILENO) == 1, redactor: redactor)
            let (result, outcome) = try await Interruption.run {
                try await KeystoneSession.with(credentials, onRetry: { progress.retrying($0.text) }) { keystone in
                    // The extras hand over the file to send: the image itself, or its touched copy.
                    try await extras.run(
                        image: plan.request.image, credentials: credentials, keystone: keystone,
                        progress: { progress.handle($0) }, imageID: \.imageID
                    ) { file in
                        var request = plan.request
                        request.image = file
                        return try await GlanceUpload(request).run(keystone: keystone) { progress.handle($0) }
                    }
                }
            }
            progress.end()
            try plan.report(result, extras: outcome, json: json)
        } catch {
            throw CommandFailure(error, json: json, redactor: redactor)
        }
    }
}
