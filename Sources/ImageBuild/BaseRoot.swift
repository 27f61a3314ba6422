import Chroot
import Crypto
public import Foundation
import HostProcesses
import Archive

/// The distribution's base root: bootstrapped once with mmdebstrap, kept as a tar under the cache,
/// keyed by everything that changes its content (release, arch, mirrors, variant, package set).
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

        public init(
            release: String, arch: String, mirror: String, securityMirror: String?, variant: String,
            components: [String], include: [String]
        ) {
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
            let mirror = MirrorLogin.strip(mirror)
            var lines = ["deb \(mirror) \(release) \(components)", "deb \(mirror) \(release)-updates \(components)"]
            if let securityMirror { lines.append("deb \(MirrorLogin.strip(securityMirror)) \(release)-security \(components)") }
            return lines
        }

        /// apt's auth.conf text for the mirrors' logins; nil when they have none.
        /// - Throws: `BuildError.badMirror`.
        func aptLogins() throws -> Data? {
            try MirrorLogin.authConf(for: [mirror] + [securityMirror].compactMap { $0 })
        }

        /// A short stable key of the recipe.
        var cacheKey: String {
            let text = ["v1", release, arch, variant, components.joined(separator: ","),
                        include.sorted().joined(separator: ",")] + sourceLines
            let digest = SHA256.hash(data: Data(text.joined(separator: "\n").utf8))
            return digest.map { String(format: "%02x", $0) }.joined().prefix(16).description
        }
    }

    let recipe: Recipe
    let cacheDirectory: URL

    public init(recipe: Recipe, cacheDirectory: URL) {
        self.recipe = recipe
        self.cacheDirectory = cacheDirectory
    }

    /// The cached tar for this recipe.
    public var tarball: URL {
        cacheDirectory.appendingPathComponent("base")
            .appendingPathComponent("\(recipe.release)-\(recipe.arch)-\(recipe.cacheKey).tar")
    }

    /// Makes `root` hold the base root: from the cache when present, else bootstrapped and cached first.
    /// - Returns: whether the cache was used.
    public func materialize(into root: URL, log: @escaping @Sendable (String) -> Void) async throws -> Bool {
        let cached = FileManager.default.fileExists(atPath: tarball.path)
        if !cached { try await bootstrap(log: log) }
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        try TarArchive.extract(tarball, into: root, trust: .trusted)
        return cached
    }

    private func bootstrap(log: @escaping @Sendable (String) -> Void) async throws {
        let folder = tarball.deletingLastPathComponent()
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let partial = folder.appendingPathComponent(".\(tarball.lastPathComponent).\(getpid()).partial.tar")
        defer { try? FileManager.default.removeItem(at: partial) }
        // The mirrors' logins reach mmdebstrap's apt in a private file, never on its command line.
        let logins = try recipe.aptLogins().map { logins in
            let file = folder.appendingPathComponent(".\(tarball.lastPathComponent).\(UUID().uuidString.prefix(8)).auth.conf")
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
        if let logins { arguments += MirrorLogin.bootstrapHooks(file: logins) }
        arguments += [recipe.release, partial.path] + recipe.sourceLines
        try await CommandRunner.run(arguments, label: "mmdebstrap (base root)", log: log)
        try FileManager.default.moveItem(at: partial, to: tarball)
    }
}
