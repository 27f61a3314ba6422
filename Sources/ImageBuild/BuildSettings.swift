public import Elements
public import Foundation
import Chroot
import HostProcesses
public import Reporting

/// What `dibkit build` was asked, as given on its command line; `BuildConfiguration(_:environment:…)` works
/// out the rest from the host (its apt sources, the environment, the current folder).
public struct BuildSettings: Sendable {
    /// The database element first, then extra elements.
    public var elements: [String]
    /// A name under `images/`, or a path (diskimage-builder's `-o`).
    public var output: String?
    public var format: BuildConfiguration.OutputFormat = .qcow2
    public var compression: BuildConfiguration.Compression = .deflate
    /// The source tag in the image's name (default: `$DIBKIT_SOURCE`, then `dib`).
    public var source: String?
    /// `--release`; nil: the release that ships `-v`, else `BuildConfiguration.defaultRelease`.
    public var release: String?
    /// The archive (default: the host's apt sources).
    public var mirror: String?
    /// The security archive (default: the host's apt sources; `none` for none).
    public var securityMirror: String?
    public var diskSize: UInt64 = 3 << 30
    /// Base roots, packages and logs (default: `$DIBKIT_CACHE_DIR`, then `~/.cache/dibkit`).
    public var cacheDirectory: URL?
    public var version: String?
    public var edition: Edition?
    /// A vendor package (`-p`) installed instead of the database element's.
    public var vendorPackage: URL?
    /// ssh public keys (`-k`) for the login user.
    public var authorizedKeys: URL?
    public var loginUser = "dibkit"
    /// `--refresh`: bootstrap the base root again even when the cache holds it.
    public var refresh = false
    /// `--no-incremental`: neither use nor cache the installed tree.
    public var incremental = true
    /// `--keyring`: the archive keyring (default: the distribution's, from the host or the Debian mirror).
    public var keyring: URL?
    /// `--allow-expired-release`: accept the mirror's Release files past their Valid-Until.
    public var allowExpiredRelease = false

    public init(elements: [String]) { self.elements = elements }
}

extension BuildConfiguration {
    /// The configuration `settings` ask for on this host.
    /// - Parameters:
    ///   - environment: `DIBKIT_SOURCE`, `DIBKIT_CACHE_DIR`, `TMPDIR`, `SOURCE_DATE_EPOCH`, and the `DIB_*`/`DIBKIT_*`
    ///     variables hooks get.
    ///   - currentDirectory: where `images/` is.
    /// - Throws: `BuildError.noMirror`, `ElementError` (the search path, `-k`), `BuildError` (`-p`,
    ///   `SOURCE_DATE_EPOCH`).
    public init(_ settings: BuildSettings, environment: [String: String], currentDirectory: URL) throws {
        let release = settings.release ?? Self.defaultRelease
        let distribution = Distribution(release: release)
        let sources = AptSources.host(release: distribution == .debian ? release : ArchiveKeyring.sourceSuite)
        let mirror: String
        if distribution == .ubuntu {
            guard let ubuntu = settings.mirror ?? environment["DIBKIT_UBUNTU_MIRROR"].flatMap({ $0.isEmpty ? nil : $0 }) else {
                throw BuildError.noUbuntuMirror(release: release)
            }
            mirror = ubuntu
        } else {
            guard let debian = settings.mirror ?? sources.mirror else {
                throw BuildError.noMirror(searched: AptSources.defaultFiles + [AptSources.defaultFolder])
            }
            mirror = debian
        }
        let cache = settings.cacheDirectory ?? BuildCache.defaultFolder(environment: environment)
        let outputURL = Self.outputURL(
            name: settings.output, database: settings.elements[0], source: settings.source ?? environment["DIBKIT_SOURCE"] ?? "dib",
            format: settings.format, imagesDirectory: currentDirectory.appendingPathComponent("images"))
        self.init(
            elements: settings.elements, mirror: mirror, output: outputURL, cacheDirectory: cache,
            elementSearchPath: try ElementLibrary.currentSearchPath(environment: environment),
            temporaryDirectory: URL(fileURLWithPath: environment["TMPDIR"] ?? "/var/tmp"))
        self.release = release
        securityMirror = settings.securityMirror == "none" || Distribution.unstableReleases.contains(release)
            ? nil : (settings.securityMirror ?? (distribution == .debian ? sources.securityMirror : nil))
        if let given = settings.keyring {
            var status = stat()
            guard stat(given.path, &status) == 0, status.st_mode & S_IFMT == S_IFREG, status.st_size > 0,
                  FileManager.default.isReadableFile(atPath: given.path)
            else { throw BuildError.badKeyring(path: given.path) }
        }
        keyring = settings.keyring
        debianMirror = sources.mirror
        acceptExpiredRelease = settings.allowExpiredRelease
        diskSize = settings.diskSize
        format = settings.format
        compression = settings.compression
        loginUser = settings.loginUser
        refreshBaseRoot = settings.refresh
        incremental = settings.incremental
        // The hooks get the DIB_ and DIBKIT_ variables, but not the one that says dibkit entered a user
        // namespace: an unprivileged build would otherwise differ from root's.
        extraEnvironment = environment.filter {
            ($0.key.hasPrefix("DIB_") || $0.key.hasPrefix("DIBKIT_")) && $0.key != UserNamespace.marker
        }
        version = settings.version
        edition = settings.edition
        vendorPackage = try settings.vendorPackage.map { try VendorPackage(file: $0) }
        authorizedKeys = try settings.authorizedKeys.map { try AuthorizedKeys(file: $0) }
        if let epoch = environment["SOURCE_DATE_EPOCH"] {
            guard let seconds = UInt64(epoch) else { throw BuildError.badSourceDate(epoch) }
            sourceDate = Date(timeIntervalSince1970: TimeInterval(seconds))
        }
    }
}

extension BuildConfiguration {
    /// The configuration `settings` ask for, its release chosen when `--release` was not given: the first of
    /// `releases` whose archive, as the mirror's index shows, ships the `-v` asked for (without `-v`, the
    /// default release when its archive has the database, else the first that does); else the default.
    /// - Throws: as `init(_:environment:currentDirectory:)`, `ElementError` (`-v` in no release of the
    ///   mirror), `BuildError.mirrorIndex`.
    public static func resolving(
        _ settings: BuildSettings, environment: [String: String], currentDirectory: URL
    ) async throws -> BuildConfiguration {
        var configuration = try BuildConfiguration(settings, environment: environment, currentDirectory: currentDirectory)
        guard settings.release == nil, configuration.vendorPackage == nil else { return configuration }
        let library = try ElementLibrary(searchPath: configuration.elementSearchPath)
        guard let database = configuration.databaseElement(in: library),
              try ReleaseChoice.dependsOnArchive(
                database: database, version: configuration.version, edition: configuration.edition, defaultRelease: defaultRelease)
        else { return configuration }
        let index = configuration.mirrorIndex
        configuration.release = try await ReleaseChoice.choose(
            database: database, version: configuration.version, edition: configuration.edition, source: nil, release: nil,
            releases: releases, archive: index.index(of:)).release
        if Distribution.unstableReleases.contains(configuration.release) { configuration.securityMirror = nil }
        return configuration
    }
}

/// `dibkit build`: the configuration from `settings`, then `build`. Nothing boots, so no accelerator is probed.
/// - Returns: the manifest written beside the image, and the configuration it was built with.
public func buildImage(
    _ settings: BuildSettings, environment: [String: String], currentDirectory: URL, progress: @escaping ProgressHandler
) async throws -> (manifest: Manifest, configuration: BuildConfiguration) {
    let configuration = try await BuildConfiguration.resolving(settings, environment: environment, currentDirectory: currentDirectory)
    try Task.checkCancellation()
    return (try await build(configuration, progress: progress), configuration)
}
