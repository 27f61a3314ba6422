import DebianControl
import Elements
import DurableFiles
import Foundation
import HostProcesses

/// The keyring an Ubuntu build checks its mirror with. `--keyring FILE` when given; else the host's, when its
/// `ubuntu-keyring` package is installed (Debian 13 has it); else the package taken from the Debian mirror's
/// trixie suite (Debian 12 lacks it), through the archive's chain of trust: InRelease's signature checked by
/// gpgv with the host's Debian keyring, the Packages index by the SHA-256 InRelease gives, the package by the
/// SHA-256 the index gives. The keyring is kept under the cache's `keyrings/`.
enum ArchiveKeyring {
    /// The suite of the Debian mirror the Ubuntu keyring package is taken from.
    static let sourceSuite = "trixie"
    static let debianKeyring = Distribution.debian.keyringPath

    /// The keyring to give mmdebstrap for `distribution`: nil for Debian (the host's, mmdebstrap's default).
    static func locate(
        for distribution: Distribution, given: URL?, debianMirror: String?, cacheDirectory: URL
    ) async throws -> URL? {
        guard distribution == .ubuntu else { return given }
        if let found = atHand(for: distribution, given: given, cacheDirectory: cacheDirectory) { return found }
        guard let debianMirror else {
            throw BuildError.noKeyring(
                path: distribution.keyringPath,
                reason: "the host's apt sources name no Debian mirror to take \(distribution.keyringPackage) from")
        }
        let kept = kept(for: distribution, cacheDirectory: cacheDirectory)
        try await fetch(distribution, from: debianMirror, to: kept)
        return kept
    }

    /// The keyring a build of `configuration` will use, said without fetching anything.
    static func planned(for configuration: BuildConfiguration) -> String {
        let distribution = configuration.distribution
        if let found = atHand(for: distribution, given: configuration.keyring, cacheDirectory: configuration.cacheDirectory) {
            return found.path
        }
        return "\(distribution.keyringPackage) from \(configuration.debianMirror.map(MirrorLogin.strip) ?? "(no Debian mirror)") "
            + "\(sourceSuite), checked by Debian's signature (taken when building)"
    }

    /// The keyring at hand, nil when it must be taken from the Debian mirror: `--keyring`, the host's (always
    /// for Debian, mmdebstrap's default), or one kept in the cache.
    private static func atHand(for distribution: Distribution, given: URL?, cacheDirectory: URL) -> URL? {
        if let given { return given }
        let host = URL(fileURLWithPath: distribution.keyringPath)
        if distribution == .debian || FileManager.default.isReadableFile(atPath: host.path) { return host }
        let kept = kept(for: distribution, cacheDirectory: cacheDirectory)
        return FileManager.default.isReadableFile(atPath: kept.path) ? kept : nil
    }

    /// Where a keyring taken from the Debian mirror is kept: the cache's `keyrings/`.
    private static func kept(for distribution: Distribution, cacheDirectory: URL) -> URL {
        cacheDirectory.appendingPathComponent("keyrings/\(URL(fileURLWithPath: distribution.keyringPath).lastPathComponent)")
    }

    /// Takes `distribution`'s keyring package from the Debian mirror's trixie suite and keeps its keyring.
    static func fetch(_ distribution: Distribution, from debianMirror: String, to kept: URL) async throws {
        let scratch = kept.deletingLastPathComponent().appendingPathComponent(".fetch-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let index = MirrorIndex(mirror: debianMirror, cacheDirectory: scratch)
        let failure = { (reason: String) in
            BuildError.noKeyring(path: distribution.keyringPath, reason: "taking \(distribution.keyringPackage) from \(MirrorLogin.strip(debianMirror)) \(sourceSuite): \(reason)")
        }
        // InRelease, signed by Debian: its checked text names the Packages index's SHA-256.
        let signed = scratch.appendingPathComponent("InRelease")
        _ = try await index.fetch("dists/\(sourceSuite)/InRelease", suite: sourceSuite, into: signed)
        let checked = scratch.appendingPathComponent("Release")
        let verdict = try await CommandRunner.run(
            ["gpgv", "--keyring", debianKeyring, "--output", checked.path, signed.path], label: "gpgv", check: false)
        guard verdict.status == 0 else {
            throw failure("its InRelease is not signed by a key of \(debianKeyring): \(verdict.tail.joined(separator: " "))")
        }
        let release = try String(contentsOf: checked, encoding: .utf8)
        let indexPath = "main/binary-amd64/Packages.xz"
        guard let indexHash = MirrorIndex.sha256(of: indexPath, in: release) else { throw failure("InRelease lists no \(indexPath)") }
        let packed = scratch.appendingPathComponent("Packages.xz")
        let packedData = try await index.fetch("dists/\(sourceSuite)/\(indexPath)", suite: sourceSuite, into: packed)
        guard sha256(of: packedData) == indexHash else { throw failure("\(indexPath) does not have the SHA-256 InRelease names") }
        try await CommandRunner.run(["xz", "--decompress", packed.path], label: "xz")
        let packages = try String(contentsOf: scratch.appendingPathComponent("Packages"), encoding: .utf8)
        guard let stanza = Deb822.stanzas(packages).first(where: { $0["Package"] == distribution.keyringPackage }),
              let filename = stanza["Filename"], let packageHash = stanza["SHA256"]
        else { throw failure("its index has no \(distribution.keyringPackage)") }
        let deb = scratch.appendingPathComponent("keyring.deb")
        let debData = try await index.fetch(filename, suite: sourceSuite, into: deb)
        guard sha256(of: debData) == packageHash else { throw failure("\(filename) does not have the SHA-256 the index names") }
        let tree = scratch.appendingPathComponent("tree")
        try await CommandRunner.run(["dpkg-deb", "--extract", deb.path, tree.path], label: "dpkg-deb")
        let keyring = tree.appendingPathComponent(String(distribution.keyringPath.dropFirst()))
        guard let data = FileManager.default.contents(atPath: keyring.path) else {
            throw failure("\(filename) holds no \(distribution.keyringPath)")
        }
        try FilePublisher().write(data, to: kept)
    }
}
