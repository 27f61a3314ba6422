import DurableFiles
public import Elements
public import Foundation
import HostProcesses

/// The mirror's package index per suite, which version tables are checked against: `dists/SUITE/InRelease`
/// names the SHA-256 of `main/binary-ARCH/Packages.xz`; that file is fetched once, checked against it,
/// and kept as `NAME<TAB>VERSION` lines under `CACHE/archive/SUITE-ARCH-HASH.tsv`. Later builds fetch
/// only InRelease (about 150 kB) and use the kept index while the suite is unchanged.
///
/// Fetched with curl, the URL given on its standard input so that a mirror's login stays off command lines;
/// `file:` mirrors work too. InRelease's signature is not checked here: the index only chooses versions,
/// and apt checks every package it installs.
public actor MirrorIndex {
    let mirror: String
    let arch: String
    let cacheDirectory: URL
    let acceptExpiredRelease: Bool
    /// The archive components read (Debian: main; Ubuntu: main and universe).
    let components: [String]
    private var read: [String: ArchiveIndex] = [:]

    /// - Parameters:
    ///   - mirror: the archive's URL, possibly with a login.
    ///   - cacheDirectory: the build cache; indexes go in its `archive/` folder.
    ///   - acceptExpiredRelease: read a suite whose InRelease is past its Valid-Until (else refused, as apt does).
    ///   - components: the archive components whose indexes are read together.
    public init(
        mirror: String, arch: String = "amd64", cacheDirectory: URL, acceptExpiredRelease: Bool = false,
        components: [String] = ["main"]
    ) {
        self.components = components
        self.acceptExpiredRelease = acceptExpiredRelease
        self.mirror = mirror.hasSuffix("/") ? String(mirror.dropLast()) : mirror
        self.arch = arch
        self.cacheDirectory = cacheDirectory
    }

    var folder: URL { cacheDirectory.appendingPathComponent("archive") }

    /// The index of `suite`, from the cache when InRelease names the same Packages file.
    /// - Throws: `BuildError.mirrorIndex` saying what could not be read, and where; `.releaseExpired`.
    public func index(of suite: String) async throws -> ArchiveIndex {
        if let known = read[suite] { return known }
        let release = String(decoding: try await fetch("dists/\(suite)/InRelease", suite: suite), as: UTF8.self)
        if !acceptExpiredRelease, let validUntil = ExpiredRelease.validUntil(in: release), validUntil.date < Date() {
            throw BuildError.releaseExpired(mirror: MirrorLogin.strip(mirror), suite: suite, validUntil: validUntil.text)
        }
        var versions: [String: String] = [:]
        for component in components {
            let part = try await index(of: suite, component: component, release: release)
            versions.merge(part.versions) { first, _ in first }
        }
        let index = ArchiveIndex(suite: suite, versions: versions)
        read[suite] = index
        return index
    }

    /// One component's index of `suite`, kept as `SUITE-ARCH-HASH.tsv` (main) or `SUITE-COMPONENT-ARCH-HASH.tsv`.
    private func index(of suite: String, component: String, release: String) async throws -> ArchiveIndex {
        let path = "\(component)/binary-\(arch)/Packages.xz"
        guard let hash = Self.sha256(of: path, in: release) else {
            throw BuildError.mirrorIndex(
                mirror: MirrorLogin.strip(mirror), suite: suite, reason: "its InRelease lists no SHA256 for \(path)", notServed: false)
        }
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let prefix = component == "main" ? "\(suite)-\(arch)-" : "\(suite)-\(component)-\(arch)-"
        let cached = folder.appendingPathComponent("\(prefix)\(hash.prefix(16)).tsv")
        if let text = try? String(contentsOf: cached, encoding: .utf8), !text.isEmpty {
            return ArchiveIndex(suite: suite, lines: text)
        }
        let index = try await download(path, suite: suite, sha256: hash)
        try FilePublisher().write(Data(index.lines.utf8), to: cached)
        removeOlder(than: cached, prefix: prefix)
        return index
    }

    /// Fetches `dists/SUITE/PATH`, checks its SHA-256, unpacks it and reads it.
    private func download(_ path: String, suite: String, sha256 expected: String) async throws -> ArchiveIndex {
        let scratch = folder.appendingPathComponent(".\(suite)-\(arch)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let packed = scratch.appendingPathComponent("Packages.xz")
        let data = try await fetch("dists/\(suite)/\(path)", suite: suite, into: packed)
        let digest = ImageBuild.sha256(of: data)
        guard digest == expected else {
            throw BuildError.mirrorIndex(
                mirror: MirrorLogin.strip(mirror), suite: suite,
                reason: "\(path) has SHA-256 \(digest), not the \(expected) its InRelease names (the mirror is mid-update?)",
                notServed: false)
        }
        try await CommandRunner.run(["xz", "--decompress", "--keep", packed.path], label: "xz (\(suite)'s package index)")
        let text = try Data(contentsOf: scratch.appendingPathComponent("Packages"))
        return ArchiveIndex(suite: suite, packages: Substring(String(decoding: text, as: UTF8.self)))
    }

    /// The body of `mirror/path`, through curl; written to `file` when given (binary bodies), else captured.
    func fetch(_ path: String, suite: String, into file: URL? = nil) async throws -> Data {
        let url = "\(mirror)/\(path)"
        let quoted = { (text: String) in
            "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
        }
        var config = "url = \(quoted(url))\n"
        if let file { config += "output = \(quoted(file.path))\n" }
        let output: CommandOutput
        do {
            output = try await CommandRunner.run(
                ["curl", "--fail", "--silent", "--show-error", "--location", "--proto", "=http,https,file",
                 // A mirror that does not answer fails within a minute, not curl's five.
                 "--connect-timeout", "20", "--speed-limit", "1024", "--speed-time", "30", "--config", "-"],
                label: "curl", input: Data(config.utf8), check: false)
        } catch let error as ProcessError {
            throw BuildError.mirrorIndex(mirror: MirrorLogin.strip(mirror), suite: suite, reason: "\(error)", notServed: false)
        }
        guard output.status == 0 else {
            // 22: the server answered 4xx/5xx; 37: a file: URL that is not there.
            let reason = output.tail.last { !$0.isEmpty } ?? "curl exited with status \(output.status)"
            throw BuildError.mirrorIndex(
                mirror: MirrorLogin.strip(mirror), suite: suite,
                reason: "\(MirrorLogin.strip(url)): \(reason)", notServed: output.status == 22 || output.status == 37)
        }
        return try file.map { try Data(contentsOf: $0) } ?? Data(output.standardOutput.utf8)
    }

    /// The SHA-256 InRelease gives `path` (its `SHA256:` section: ` HASH SIZE PATH` lines).
    static func sha256(of path: String, in release: String) -> String? {
        var inSection = false
        for line in release.split(separator: "\n") {
            if !line.hasPrefix(" ") {
                inSection = line.hasPrefix("SHA256:")
                continue
            }
            let fields = line.split(separator: " ")
            if inSection, fields.count == 3, fields[2] == path { return String(fields[0]) }
        }
        return nil
    }

    /// Removes the other kept indexes of the same suite and component (older versions of it).
    private func removeOlder(than kept: URL, prefix: String) {
        for name in (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        where name.hasPrefix(prefix) && name.hasSuffix(".tsv") && name != kept.lastPathComponent {
            try? FileManager.default.removeItem(at: folder.appendingPathComponent(name))
        }
    }
}
