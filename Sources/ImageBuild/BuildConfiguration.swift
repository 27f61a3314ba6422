public import Elements
public import Foundation

/// Everything one build needs, fixed before it starts.
public struct BuildConfiguration: Sendable {
    /// Output image formats of `build`.
    public enum OutputFormat: String, Sendable, CaseIterable {
        case qcow2, raw
    }

    /// Compression of qcow2 output clusters.
    public enum Compression: String, Sendable, CaseIterable {
        case none, deflate, zstd
    }

    /// Elements asked for, first the database (e.g. `["redis", "my-element"]`).
    public var elements: [String]
    /// Distribution release, e.g. `trixie`.
    public var release = BuildConfiguration.defaultRelease
    /// Debian architecture.
    public var arch = "amd64"
    /// Archive mirror URL.
    public var mirror: String
    /// Security archive URL, when the host has one.
    public var securityMirror: String?
    /// Virtual disk size in bytes.
    public var diskSize: UInt64 = 3 << 30
    /// Output format.
    public var format: OutputFormat = .qcow2
    /// qcow2 compression.
    public var compression: Compression = .deflate
    /// The image file to write (its manifest goes beside it, `.json`).
    public var output: URL
    /// Where base roots, packages and build logs are cached.
    public var cacheDirectory: URL
    /// Element folders searched, earlier first; the built-in folder last.
    public var elementSearchPath: [URL]
    /// The login user made by elements that create one.
    public var loginUser = "dibkit"
    /// `-v`: the database version asked for (matched on its first two components); nil for the default.
    public var version: String?
    /// `-c` / `-e`: the edition asked for; nil for the distribution's package.
    public var edition: Edition?
    /// `-p`: a vendor package installed instead of the database element's own (needs `version`).
    public var vendorPackage: VendorPackage?
    /// `-k`: ssh public keys for the login user, who gets sudo.
    public var authorizedKeys: AuthorizedKeys?
    /// Variables from the user (the `DIB_*` and `DIBKIT_*` of the calling environment, as diskimage-builder
    /// passes its environment to hooks), seen by `when:` conditions and hooks; the build's own variables win.
    public var extraEnvironment: [String: String] = [:]
    /// Bootstrap the base root again even when the cache holds it.
    public var refreshBaseRoot = false
    /// Start from the cached installed tree when the packages, the early hooks and the mirror's state are
    /// unchanged, and cache it otherwise (`InstalledTree`); `--no-incremental` turns it off.
    public var incremental = true
    /// `--keyring`: the archive keyring mmdebstrap checks the mirror with (nil: the distribution's own).
    public var keyring: URL?
    /// The host's Debian mirror, where an Ubuntu build takes `ubuntu-keyring` from when the host lacks it.
    public var debianMirror: String?
    /// Accept the mirror's Release files past their Valid-Until (apt's `Acquire::Check-Valid-Until "false"`
    /// while building; the image does not keep it).
    public var acceptExpiredRelease = false
    /// Folder for temporary work (the root tree, the raw disk).
    public var temporaryDirectory: URL
    /// `SOURCE_DATE_EPOCH`: the time the SBOM gives as its creation, and every time in the image, so that the
    /// same inputs make the same bytes (nil: the time of the build, and a random root UUID).
    public var sourceDate: Date?

    /// `sourceDate` in seconds since the epoch.
    var sourceDateEpoch: UInt64? { sourceDate.map { UInt64(max(0, $0.timeIntervalSince1970)) } }

    public init(
        elements: [String], mirror: String, output: URL, cacheDirectory: URL, elementSearchPath: [URL],
        temporaryDirectory: URL
    ) {
        self.elements = elements
        self.mirror = mirror
        self.output = output
        self.cacheDirectory = cacheDirectory
        self.elementSearchPath = elementSearchPath
        self.temporaryDirectory = temporaryDirectory
    }

    /// The release built when neither `--release` nor `-v` says otherwise.
    public static let defaultRelease = "trixie"
    /// The releases dibkit builds, stable ones newest first, then Debian's unstable suite: `-v` without
    /// `--release` picks the first that ships it.
    public static let releases = ["trixie", "bookworm", "sid"]

    /// The release's distribution.
    public var distribution: Distribution { Distribution(release: release) }

    /// The mirror's package indexes, which version tables are checked against.
    var mirrorIndex: MirrorIndex {
        MirrorIndex(mirror: mirror, arch: arch, cacheDirectory: cacheDirectory, acceptExpiredRelease: acceptExpiredRelease,
                    components: distribution.components)
    }

    /// The element asked for whose `element.yaml` has a version table or editions (the database), if any.
    func databaseElement(in library: ElementLibrary) -> Element? {
        elements.lazy.compactMap { try? library.element(named: $0) }
            .first { !$0.manifest.versions.isEmpty || !$0.manifest.editions.isEmpty }
    }

    /// The version of `selection` the image holds: `-v` as given with `-p` (the vendor's exact version),
    /// else the table's row.
    func installedVersion(of selection: VersionSelection) -> String {
        vendorPackage == nil ? selection.entry.version : version ?? selection.entry.version
    }

    /// The image's file name without extension, e.g. `redis-dib-2026-11-24`.
    public var imageName: String { output.deletingPathExtension().lastPathComponent }

    /// The manifest written beside the image.
    public var manifestURL: URL { output.deletingPathExtension().appendingPathExtension("json") }

    /// The SBOM written beside the image, `NAME.spdx.json` (SPDX 2.3 JSON).
    public var sbomURL: URL { output.deletingPathExtension().appendingPathExtension("spdx.json") }

    /// The default output, `images/<db>-<source>-<YYYY-MM-DD>.<format>`, or `name` placed as
    /// diskimage-builder's `-o` places it: a bare name goes under `images/`, a path is used as is;
    /// the format's extension is added unless present.
    public static func outputURL(
        name: String?, database: String, source: String, format: OutputFormat, imagesDirectory: URL, date: Date = Date()
    ) -> URL {
        let base: URL
        if let name {
            base = name.contains("/") ? URL(fileURLWithPath: name) : imagesDirectory.appendingPathComponent(name)
        } else {
            let day = date.formatted(.iso8601.year().month().day().dateSeparator(.dash))
            base = imagesDirectory.appendingPathComponent("\(database)-\(source)-\(day)")
        }
        return base.pathExtension == format.rawValue ? base : base.appendingPathExtension(format.rawValue)
    }
}
