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

        /// The apt source lines the root gets (and keeps in the image).
        var sourceLines: [String] {
            let components = self.components.joined(separator: " ")
            var lines = ["deb \(mirror) \(release) \(components)", "deb \(mirror) \(release)-updates \(components)"]
            if let securityMirror { lines.append("deb \(securityMirror) \(release)-security \(components)") }
            return lines
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
    /// - Parameter scratch: a folder mmdebstrap may work in (it is made and removed).
    /// - Returns: whether the cache was used.
    public func materialize(into root: URL, scratch: URL, log: @escaping @Sendable (String) -> Void) async throws -> Bool {
        let cached = FileManager.default.fileExists(atPath: tarball.path)
        if !cached { try await bootstrap(scratch: scratch, log: log) }
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        try TarArchive.extract(tarball, into: root, trust: .trusted)
        return cached
    }

    /// mmdebstrap makes the root in a folder of TMPDIR and mounts /proc, /sys and /dev into it: it runs in its
    /// own namespaces (`HostRoot.isolated`) so that, stopped or killed, it leaves no mount and no apt or dpkg
    /// behind, with TMPDIR at `scratch`, which is removed whatever happens.
    private func bootstrap(scratch: URL, log: @escaping @Sendable (String) -> Void) async throws {
        let folder = tarball.deletingLastPathComponent()
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let partial = folder.appendingPathComponent(".\(tarball.lastPathComponent).\(getpid()).partial.tar")
        defer { try? FileManager.default.removeItem(at: partial) }
        var arguments = [
            "mmdebstrap", "--mode=root", "--format=tar", "--variant=\(recipe.variant)", "--arch=\(recipe.arch)",
            "--components=\(recipe.components.joined(separator: ","))",
            "--aptopt=Acquire::Languages \"none\"",
        ]
        if !recipe.include.isEmpty { arguments.append("--include=\(recipe.include.joined(separator: ","))") }
        arguments += [recipe.release, partial.path] + recipe.sourceLines
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        var environment = ProcessInfo.processInfo.environment
        environment["TMPDIR"] = scratch.path
        try await CommandRunner.run(
            HostRoot.isolated(arguments), environment: environment, label: "mmdebstrap (base root)", log: log)
        try FileManager.default.moveItem(at: partial, to: tarball)
    }
}
