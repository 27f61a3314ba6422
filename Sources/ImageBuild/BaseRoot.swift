import Chroot
import DurableFiles
import Elements
public import Foundation
import HostProcesses
import Archive

/// The distribution's base root: bootstrapped once with mmdebstrap, kept as a tar under the cache,
/// keyed by everything that changes its content (release, arch, mirrors, variant, package set), with its
/// SHA-256 beside it (`sha256sum -c` reads it), written once the tar is in place and checked before each use.
public struct BaseRoot: Sendable {
    /// How the operating-system element asks to be bootstrapped.
    public struct Recipe: Sendable, Hashable {
        public var release: String
        public var arch: String
        public var mirror: String
        public var securityMirror: String?
        public var variant: String
        public var components: [String]
        public var include: [String]
        /// dpkg's path filters (`path-exclude=…`, `path-include=…`), kept in the root for later installs.
        public var pathFilter: [String]
        /// The archive's keyring mmdebstrap checks the mirror with; nil for the host's default (Debian's).
        public var keyring: URL?
        /// apt takes the mirror's Release files past their Valid-Until (not part of the cache key: the root's
        /// content is the same; the option is not kept in it).
        public var acceptExpiredRelease: Bool
        /// `SOURCE_DATE_EPOCH`, which mmdebstrap dates the root's files and accounts with (part of the key).
        public var sourceDateEpoch: UInt64?

        public init(
            release: String, arch: String, mirror: String, securityMirror: String?, variant: String,
            components: [String], include: [String], pathFilter: [String] = [], keyring: URL? = nil,
            acceptExpiredRelease: Bool = false, sourceDateEpoch: UInt64? = nil
        ) {
            self.sourceDateEpoch = sourceDateEpoch
            self.pathFilter = pathFilter
            self.keyring = keyring
            self.acceptExpiredRelease = acceptExpiredRelease
            self.release = release
            self.arch = arch
            self.mirror = mirror
            self.securityMirror = securityMirror
            self.variant = variant
            self.components = components
            self.include = include
        }

        /// The apt source lines the root gets (and keeps in the image): the mirrors without their logins.
        var sourceLines: [String] {
            let components = self.components.joined(separator: " ")
            return suites.map { "deb \(MirrorLogin.strip($0.mirror)) \($0.suite) \(components)" }
        }

        /// The suites the root's packages come from, each with its mirror (`Distribution.suites`).
        var suites: [(suite: String, mirror: String)] {
            Distribution(release: release).suites(of: release, mirror: mirror, securityMirror: securityMirror)
        }

        /// apt's auth.conf text for the mirrors' logins; nil when they have none.
        /// - Throws: `BuildError.badMirror`.
        func aptLogins() throws -> Data? {
            try MirrorLogin.authConf(for: [mirror] + [securityMirror].compactMap { $0 })
        }

        /// A short stable key of the recipe.
        var cacheKey: String {
            let text = ["v2", release, arch, variant, components.joined(separator: ","),
                        include.sorted().joined(separator: ",")] + sourceLines + pathFilter
                + (sourceDateEpoch.map { ["SOURCE_DATE_EPOCH=\($0)"] } ?? [])
            return shortDigest(of: text)
        }
    }

    /// Writes the base root of a recipe as a tar at a path, working in a scratch folder it makes and removes,
    /// sending its output lines to a log.
    typealias Bootstrap = @Sendable (
        _ recipe: Recipe, _ tar: URL, _ scratch: URL, _ log: @escaping @Sendable (String) -> Void
    ) async throws -> Void

    let recipe: Recipe
    let cacheDirectory: URL
    private let bootstrap: Bootstrap
    private let publisher: FilePublisher

    /// The base root of `recipe`, cached under `cacheDirectory`.
    public init(recipe: Recipe, cacheDirectory: URL) {
        self.init(recipe: recipe, cacheDirectory: cacheDirectory, bootstrap: Self.mmdebstrap)
    }

    init(recipe: Recipe, cacheDirectory: URL, publisher: FilePublisher = FilePublisher(), bootstrap: @escaping Bootstrap) {
        self.recipe = recipe
        self.cacheDirectory = cacheDirectory
        self.publisher = publisher
        self.bootstrap = bootstrap
    }

    /// The cached tar for this recipe.
    public var tarball: URL { cachedTar.tarball }

    /// The tar's SHA-256, in `sha256sum`'s format.
    public var checksumFile: URL { cachedTar.checksumFile }

    private var cachedTar: CachedTar {
        CachedTar(tarball: cacheDirectory.appendingPathComponent("base")
            .appendingPathComponent("\(recipe.release)-\(recipe.arch)-\(recipe.cacheKey).tar"))
    }

    /// Makes `root` hold the base root: from the cache when its tar is there and matches its checksum, else
    /// bootstrapped and cached first. A cached tar without a checksum, or whose bytes do not match it, is
    /// removed and made again, said in `note`.
    /// - Parameters:
    ///   - scratch: a folder the bootstrap may work in (it is made and removed).
    ///   - refresh: bootstrap again whatever the cache holds (said in `note`).
    /// - Returns: whether the cache was used.
    public func materialize(
        into root: URL, scratch: URL, refresh: Bool = false, log: @escaping @Sendable (String) -> Void,
        note: (String) -> Void
    ) async throws -> Bool {
        // A refresh replaces the cached tar only once the new one is complete.
        if refresh { note("--refresh: bootstrapping the base root again; the new one replaces \(tarball.path)") }
        let cached = refresh ? false : try cachedTar.isIntact("the cached base root", note: note)
        if !cached {
            try await cachedTar.fill(publisher: publisher) { partial in try await bootstrap(recipe, partial, scratch, log) }
        }
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        try TarArchive.extract(tarball, into: root, trust: .trusted)
        return cached
    }

    /// The host's variables mmdebstrap gets: where programs are, and apt's proxies.
    static let passedToBootstrap: Set<String> = [
        "PATH", "http_proxy", "https_proxy", "no_proxy", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY",
    ]

    /// mmdebstrap's base root, as a tar.
    ///
    /// mmdebstrap makes the root in a folder of TMPDIR and mounts /proc, /sys and /dev into it: it runs in its
    /// own namespaces (`HostRoot.isolated`) so that, stopped or killed, it leaves no mount and no apt or dpkg
    /// behind, with TMPDIR at `scratch` (in the build's work folder), removed whatever happens.
    private static func mmdebstrap(
        _ recipe: Recipe, tar: URL, scratch: URL, log: @escaping @Sendable (String) -> Void
    ) async throws {
        // The mirrors' logins reach mmdebstrap's apt in a private file, never on its command line.
        let logins = try recipe.aptLogins().map { logins in
            let file = tar.deletingLastPathComponent().appendingPathComponent(".\(tar.lastPathComponent).\(UUID().uuidString.prefix(8)).auth.conf")
            guard try createPrivateFile(at: file, contents: logins) else {
                throw BuildError.stepFailed(step: "base-root", reason: "\(file.path) exists already")
            }
            return file
        }
        defer { if let logins { try? FileManager.default.removeItem(at: logins) } }
        var arguments = [
            "mmdebstrap", "--mode=root", "--format=tar", "--variant=\(recipe.variant)", "--arch=\(recipe.arch)",
            "--components=\(recipe.components.joined(separator: ","))",
            "--aptopt=Acquire::Languages \"none\"",
        ]
        if !recipe.include.isEmpty { arguments.append("--include=\(recipe.include.joined(separator: ","))") }
        arguments += DpkgPathFilter(rules: recipe.pathFilter).bootstrapHooks
        // force-unsafe-io (no fsync per unpacked file) only while bootstrapping: mmdebstrap writes it to
        // /etc/dpkg/dpkg.cfg.d/99mmdebstrap, removed at the end.
        arguments += ["--dpkgopt=force-unsafe-io", #"--customize-hook=rm "$1/etc/dpkg/dpkg.cfg.d/99mmdebstrap""#]
        if let logins { arguments += MirrorLogin.bootstrapHooks(file: logins) }
        if let keyring = recipe.keyring { arguments.append("--keyring=\(keyring.path)") }
        if recipe.acceptExpiredRelease {
            arguments += ["--aptopt=\(ExpiredRelease.aptOption)", "--customize-hook=\(ExpiredRelease.forgetHook)"]
        }
        arguments += [recipe.release, tar.path] + recipe.sourceLines
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        // Only what the bootstrap needs from the host: its packages' scripts see the rest (a
        // PYTHONDONTWRITEBYTECODE left .pyc files out of one root and not another).
        var environment = ProcessInfo.processInfo.environment.filter { Self.passedToBootstrap.contains($0.key) }
        environment["TMPDIR"] = scratch.path
        environment["SOURCE_DATE_EPOCH"] = recipe.sourceDateEpoch.map { "\($0)" }
        try await CommandRunner.run(
            HostRoot.isolated(arguments), environment: environment, label: "mmdebstrap (base root)", log: log)
    }
}
