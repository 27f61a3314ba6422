public import ArgumentParser
import Chroot
import Elements
import Foundation
import ImageBuild
import Reporting

extension Dibkit {
    struct Build: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Build a bootable database image from elements, offline.",
            discussion: """
                The first element names the database (redis, valkey, postgresql, mariadb…); further elements are \
                added, found in ELEMENTS_PATH before the built-in elements/. The image, its manifest (.json) \
                and its SBOM (.spdx.json, SPDX 2.3) land in images/ as <db>-<source>-<YYYY-MM-DD>.<format> \
                unless -o says otherwise. With SOURCE_DATE_EPOCH set, the SBOM gives that time as its creation.
                """)

        @Argument(help: "Elements to build: the database first, then extra elements.")
        var elements: [String]

        @Option(name: .customShort("o"), help: ArgumentHelp("Output name under images/, or a path (as diskimage-builder's -o).", valueName: "name"))
        var output: String?

        @Option(name: .customShort("t"), help: ArgumentHelp("Image format: qcow2 or raw.", valueName: "format"))
        var format: BuildConfiguration.OutputFormat = .qcow2

        @Option(help: "qcow2 compression: none, deflate or zstd.")
        var compression: BuildConfiguration.Compression = .deflate

        @Option(help: "Source tag in the image name (default: $DIBKIT_SOURCE or dib).")
        var source: String?

        @Option(help: "Release: Debian's trixie, bookworm or sid (Debian's unstable suite), or Ubuntu's noble or jammy (with --mirror or DIBKIT_UBUNTU_MIRROR) (default: the Debian release that ships -v, else trixie).")
        var release: String?

        @Option(help: "Archive mirror URL (default: the host's apt sources).")
        var mirror: String?

        @Option(help: "Security archive URL (default: the host's apt sources; 'none' for none).")
        var securityMirror: String?

        @Option(help: "Virtual disk size, e.g. 3G, 2048M.")
        var size = "3G"

        @Option(help: "Cache folder for base roots, packages and logs (default: $DIBKIT_CACHE_DIR or ~/.cache/dibkit).")
        var cacheDir: String?

        @Option(name: .customShort("v"), help: ArgumentHelp("Database version; its first two components are matched (7.0.15 → 7.0).", valueName: "version"))
        var version: String?

        @Flag(name: .customShort("c"), help: "Community edition of the database, where one is defined.")
        var community = false

        @Flag(name: .customShort("e"), help: "Enterprise edition of the database, where one is defined.")
        var enterprise = false

        @Option(name: .customShort("p"), help: ArgumentHelp("A vendor package installed instead of the database element's: a .deb (dependencies from the archive) or a .tar/.tgz/.tbz2 with setup.sh at its root. Needs -v.", valueName: "file"))
        var package: String?

        @Option(name: .customShort("k"), help: ArgumentHelp("ssh public keys (authorized_keys format) for the login user, who gets sudo.", valueName: "file"))
        var keys: String?

        @Flag(name: .customShort("I"), help: "Build only, no upload (accepted for dbimage-make.sh compatibility: build never uploads).")
        var imageOnly = false

        @Option(help: "Login user name: the cloud's default user, and the user -k keys are for.")
        var loginUser = "dibkit"

        @Option(help: "The archive keyring the mirror is checked with (default: the distribution's; for Ubuntu, the host's ubuntu-keyring or the one in the Debian mirror's trixie suite).", completion: .file())
        var keyring: String?

        @Flag(help: "Build even when the mirror's Release files are past their Valid-Until date (a snapshot or a stale mirror; Debian's unstable suite expires within a week); apt refuses them otherwise.")
        var allowExpiredRelease = false

        @Flag(help: "Bootstrap the base root again instead of taking it from the cache (a cached one is otherwise brought up to the mirror with apt); the cached installed tree is not used, and is made again.")
        var refresh = false

        @Flag(help: "Run every phase even when the cache holds the tree install.d left for the same packages, early hooks and mirror state; and cache none (the default starts from it and runs only post-install.d on).")
        var noIncremental = false

        @Flag(help: "Print the resolved plan (base and release, mirror, database version, elements, hooks and packages per phase) and build nothing.")
        var plan = false

        @Flag(help: "Print only the manifest (with --plan, the plan) as JSON; no progress.")
        var json = false

        func validate() throws {
            if community && enterprise { throw ValidationError("-c and -e exclude each other: pick one edition") }
            if package != nil && version == nil {
                throw ValidationError("-p needs -v VERSION: say which version the package holds (e.g. -v 7.2.4)")
            }
            do { _ = try Quantities.bytes(size) } catch { throw ValidationError("--size \(error)") }
        }

        func run() async throws {
            let printer = ProgressPrinter(quiet: json)
            var settings = BuildSettings(elements: elements)
            settings.output = output
            settings.format = format
            settings.compression = compression
            settings.source = source
            settings.release = release
            settings.mirror = mirror
            settings.securityMirror = securityMirror
            settings.diskSize = try Quantities.bytes(size)
            settings.cacheDirectory = cacheDir.map { URL(fileURLWithPath: $0) }
            settings.version = version
            settings.edition = community ? .community : enterprise ? .enterprise : nil
            settings.vendorPackage = package.map { URL(fileURLWithPath: $0) }
            settings.authorizedKeys = keys.map { URL(fileURLWithPath: $0) }
            settings.loginUser = loginUser
            settings.refresh = refresh
            settings.incremental = !noIncremental
            settings.allowExpiredRelease = allowExpiredRelease
            settings.keyring = keyring.map { URL(fileURLWithPath: $0) }
            let request = settings
            if plan { return try await printPlan(request) }
            let environment = ProcessInfo.processInfo.environment
            if UserNamespace.isNeeded(environment: environment) {
                do { try UserNamespace.reenter(arguments: CommandLine.arguments, environment: environment) } catch {
                    throw CommandFailure(error, json: json)
                }
            }
            do {
                let (manifest, configuration) = try await Interruption.run {
                    try await buildImage(
                        request, environment: environment,
                        currentDirectory: URL(fileURLWithPath: FileManager.default.currentDirectoryPath), progress: printer.handle)
                }
                if json { try printJSON(manifest) } else {
                    printer.line("wrote \(configuration.output.path) (\(manifest.sizes.image / 1_000_000) MB), "
                        + "\(configuration.manifestURL.lastPathComponent) and \(configuration.sbomURL.lastPathComponent)")
                }
            } catch {
                throw CommandFailure(error, json: json)
            }
        }
    }
}

extension Dibkit.Build {
    /// `--plan`: the resolved plan as text, or as JSON with `--json`.
    private func printPlan(_ settings: BuildSettings) async throws {
        do {
            let report = try await Interruption.run {
                try await planBuild(
                    settings, environment: ProcessInfo.processInfo.environment,
                    currentDirectory: URL(fileURLWithPath: FileManager.default.currentDirectoryPath))
            }
            if json { try printJSON(report) } else { print(report.text) }
        } catch {
            throw CommandFailure(error, json: json)
        }
    }
}

extension BuildConfiguration.OutputFormat: ExpressibleByArgument {}
extension BuildConfiguration.Compression: ExpressibleByArgument {}
