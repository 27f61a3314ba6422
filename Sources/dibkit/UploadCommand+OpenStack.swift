import ArgumentParser
import CloudHTTP
import Foundation
import OpenStack
import Reporting
import UploadWorkflows

/// The options only `--cloud openstack` takes.
struct OpenStackUploadOptions: ParsableArguments {
    @Option(help: "The cloud in clouds.yaml (default: $OS_CLOUD, then the OS_* variables, then the only cloud).")
    var osCloud: String?

    @Option(name: .customLong("property"), help: ArgumentHelp("An image property to set, beside the manifest's (repeat).", valueName: "key=value"))
    var properties: [String] = []

    @Flag(name: .customLong("import"), help: "Use interoperable import (glance-direct: stage, then import) when the cloud offers it.")
    var useImport = false

    @Option(help: "private (the default), shared, community or public; with a Trove transport URL only private.")
    var visibility: String?

    @OptionGroup(title: "OpenStack: per-cloud touches and Trove")
    var extras: OpenStackExtrasOptions

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

/// The per-cloud touches' and Trove's options of `--cloud openstack`.
struct OpenStackExtrasOptions: ParsableArguments {
    @Option(name: .customShort("k"), help: ArgumentHelp("A Nova keypair of the cloud: its public key goes into the uploaded copy for the login user.", valueName: "name"))
    var keypair: String?

    @Option(help: ArgumentHelp("The image's login user for -k (default: the manifest's loginUser).", valueName: "name"))
    var loginUser: String?

    @Option(name: .customLong("trove-transport-url"), help: ArgumentHelp("The Trove agent's message queue, e.g. rabbit://USER:PASSWORD@HOST:5672/ (default: --trove-transport-url-file, then $DIBKIT_TROVE_TRANSPORT_URL, then trove_transport_url of the cloud's clouds.yaml entry). Only for a private image.", valueName: "url"))
    var troveTransportURL: String?

    @Option(name: .customLong("trove-transport-url-file"), help: ArgumentHelp("A file whose first line is the Trove agent's message queue URL: the password stays out of ps.", valueName: "file"))
    var troveTransportURLFile: String?

    @Option(help: ArgumentHelp("The Trove agent's control exchange (default: trove_control_exchange of clouds.yaml, then trove).", valueName: "name"))
    var troveControlExchange: String?

    @Option(help: ArgumentHelp("Register the uploaded image as a version of this Trove datastore, e.g. redis.", valueName: "name"))
    var datastore: String?

    @Option(help: ArgumentHelp("The datastore version's name, e.g. 7.0 (with --datastore).", valueName: "name"))
    var datastoreVersion: String?

    @Option(help: ArgumentHelp("The Trove manager of the version (default: the manifest's database, else --datastore).", valueName: "name"))
    var datastoreManager: String?

    @Option(help: ArgumentHelp("Packages the version needs, comma-separated (default: none: the image holds the database).", valueName: "a,b"))
    var datastorePackages: String?

    @Flag(help: "Register the version without making it the datastore's default.")
    var notDefault = false

    /// The options given on the command line, by flag name.
    var given: [String] {
        [("-k", keypair != nil), ("--login-user", loginUser != nil), ("--trove-transport-url", troveTransportURL != nil),
         ("--trove-transport-url-file", troveTransportURLFile != nil),
         ("--trove-control-exchange", troveControlExchange != nil), ("--datastore", datastore != nil),
         ("--datastore-version", datastoreVersion != nil), ("--datastore-manager", datastoreManager != nil),
         ("--datastore-packages", datastorePackages != nil), ("--not-default", notDefault)]
            .filter(\.1).map(\.0)
    }

    func validate() throws {
        if (datastore == nil) != (datastoreVersion == nil) {
            throw ValidationError("--datastore and --datastore-version go together (e.g. --datastore redis --datastore-version 7.0)")
        }
        if datastore == nil, datastoreManager != nil || datastorePackages != nil || notDefault {
            throw ValidationError("--datastore-manager, --datastore-packages and --not-default go with --datastore")
        }
        if loginUser != nil, keypair == nil { throw ValidationError("--login-user goes with -k") }
    }

    /// The extras the workflow runs; the transport URL from the option, its file or `environment`.
    func extras(environment: [String: String]) throws -> OpenStackUploadExtras {
        var extras = OpenStackUploadExtras()
        extras.keypair = keypair
        extras.loginUser = loginUser
        extras.troveTransportURL = try OpenStackUploadExtras.givenTransportURL(
            argument: troveTransportURL, file: troveTransportURLFile.map { URL(fileURLWithPath: $0) }, environment: environment)
        extras.troveControlExchange = troveControlExchange
        extras.datastore = datastore
        extras.datastoreVersion = datastoreVersion
        extras.datastoreManager = datastoreManager
        extras.datastorePackages = (datastorePackages ?? "").split(separator: ",")
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        extras.makeDefault = !notDefault
        return extras
    }
}

extension Dibkit.Upload {
    /// `--cloud openstack`: authenticate, upload to Glance, check the hash; prints the image id.
    func runOpenStack() async throws {
        var redactor = SecretRedactor(secrets: [])
        do {
            var settings = OpenStackUploadSettings(image: URL(fileURLWithPath: image))
            settings.name = name
            settings.timeout = try Quantities.duration(timeout)
            settings.osCloud = openStack.osCloud
            settings.properties = try openStack.parsedProperties()
            settings.useImport = openStack.useImport
            settings.visibility = openStack.visibility
            settings.extras = try openStack.extras.extras(environment: ProcessInfo.processInfo.environment)
            let plan = OpenStackUploadPlan(settings)
            try plan.checkImage()
            let credentials = try CloudCredentials.load(cloud: settings.osCloud)
            redactor = SecretRedactor(secrets: credentials.secrets + [settings.extras.troveTransportURL].compactMap { $0 })
            let printer = ProgressPrinter(quiet: json, redactor: redactor)
            let outcome = try await Interruption.run { try await plan.run(credentials: credentials, progress: printer.handle) }
            printer.end()
            try report(outcome)
        } catch {
            throw CommandFailure(error, json: json, redactor: redactor)
        }
    }

    /// Prints the image id (last) with what was checked and what the extras did, or one JSON object.
    private func report(_ outcome: OpenStackUploadOutcome) throws {
        if json { return try printJSON(outcome) }
        let result = outcome.result
        let rate = Quantities.format(bytes: UInt64(result.bytesPerSecond))
        print("image \(result.imageID) \(result.name): \(result.status), \(result.diskFormat), \(Quantities.format(bytes: result.bytes)) "
            + "by \(result.method) at \(rate)/s; SHA-512 checked against Glance's (\(result.sha512.prefix(16))…)")
        outcome.extras.summary.forEach { print($0) }
        print(result.imageID)
    }
}
