import Elements
import Foundation
import Reporting
import TestSupport
import Testing

@testable import ImageBuild

/// Ubuntu LTS bases. No Ubuntu archive is reachable from these machines: the plans are made against a `file:`
/// mirror holding the packages' index entries, the keyring is Ubuntu's as Debian packages it.
@Suite("Ubuntu: noble and jammy planned against a mirror, the keyring, a mirror that does not answer")
struct UbuntuTests {
    /// A fixture Ubuntu mirror with what the plans below check against.
    static func mirror() throws -> MirrorIndexTests.FixtureMirror {
        let mirror = try MirrorIndexTests.FixtureMirror()
        try mirror.add(
            suite: "noble", packages: "Package: postgresql-16\nVersion: 16.11-0ubuntu0.24.04.1\n\nPackage: mysql-server\nVersion: 8.0.44-0ubuntu0.24.04.1\n",
            universe: "Package: redis-server\nVersion: 5:7.0.15-1ubuntu0.24.04.2\n\nPackage: mariadb-server\nVersion: 1:10.11.13-0ubuntu0.24.04.1\n")
        try mirror.add(
            suite: "jammy", packages: "Package: postgresql-14\nVersion: 14.20-0ubuntu0.22.04.1\n",
            universe: "Package: redis-server\nVersion: 5:6.0.16-1ubuntu1.1\n")
        return mirror
    }

    /// - Parameter cache: a folder inside one the test holds (a `TemporaryFolder` let go at once would leave the
    ///   cache the plan writes behind).
    func settings(_ database: String, release: String, mirror: String, keyring: URL?, cache: URL) throws -> BuildSettings {
        var settings = BuildSettings(elements: [database])
        settings.release = release
        settings.mirror = mirror
        settings.keyring = keyring
        settings.cacheDirectory = cache
        return settings
    }

    @Test("noble: the ubuntu base (main and universe, its keyring), the release's -updates and -security, Ubuntu's package names")
    func noblePlan() async throws {
        let mirror = try Self.mirror()
        let folder = try TemporaryFolder()
        let keyring = folder.appendingPathComponent("ubuntu-archive-keyring.gpg")
        try Data("a keyring".utf8).write(to: keyring)
        let report = try await planBuild(
            try settings("redis", release: "noble", mirror: mirror.url, keyring: keyring, cache: folder.appendingPathComponent("cache")), environment: [:],
            currentDirectory: folder.url)
        #expect(report.release == "noble" && report.base.element == "ubuntu" && report.keyring == keyring.path)
        #expect(report.base.include.contains("ubuntu-keyring") && report.base.include.contains("netplan.io"))
        #expect(report.sources == ["noble", "noble-updates", "noble-security"].map { "deb \(mirror.url) \($0) main universe" })
        #expect(report.securityMirror == nil, "the host's Debian security mirror is not Ubuntu's")
        #expect(report.database?.version == "7.0" && report.database?.source == "distro")
        #expect(report.elements.map(\.name).first == "ubuntu" && !report.elements.map(\.name).contains("debian"))
        #expect(report.phases.first { $0.phase == "pre-install.d" }?.hooks.contains("ubuntu/01-ubuntu-apt-sources") == true)
        let install = try #require(report.phases.first { $0.phase == "install.d" }?.install)
        for package in ["linux-image-virtual", "systemd-resolved", "grub-pc-bin", "grub-efi-amd64-bin", "cloud-init", "nftables", "redis-server"] {
            #expect(install.contains(package), "\(package) in \(install)")
        }
        #expect(!install.contains("linux-image-cloud-amd64"))
        #expect(report.text.contains("keyring: \(keyring.path)") && report.text.contains("  deb \(mirror.url) noble-security main universe"))

        let postgresql = try await planBuild(
            try settings("postgresql", release: "noble", mirror: mirror.url, keyring: keyring, cache: folder.appendingPathComponent("cache")), environment: [:],
            currentDirectory: folder.url)
        #expect(postgresql.database?.packages == ["postgresql-16"])
        let mysql = try await planBuild(
            try settings("mysql", release: "noble", mirror: mirror.url, keyring: keyring, cache: folder.appendingPathComponent("cache")), environment: [:],
            currentDirectory: folder.url)
        #expect(mysql.database?.version == "8.0" && mysql.database?.source == "distro")
    }

    @Test("jammy: Redis 6.0, systemd-resolved left to systemd; without --keyring the keyring is taken from the Debian mirror's trixie")
    func jammyPlan() async throws {
        let mirror = try Self.mirror()
        let folder = try TemporaryFolder()
        let report = try await planBuild(
            try settings("redis", release: "jammy", mirror: mirror.url, keyring: nil, cache: folder.appendingPathComponent("cache")), environment: [:], currentDirectory: folder.url)
        #expect(report.database?.version == "6.0")
        let install = try #require(report.phases.first { $0.phase == "install.d" }?.install)
        #expect(install.contains("linux-image-virtual") && !install.contains("systemd-resolved"))
        if !FileManager.default.fileExists(atPath: Distribution.ubuntu.keyringPath) {
            #expect(report.keyring.hasPrefix("ubuntu-keyring from ") && report.keyring.contains(" trixie, checked by Debian's signature"),
                    "\(report.keyring)")
        }
        let valkey = await #expect(throws: ElementError.self) {
            try await planBuild(try settings("valkey", release: "jammy", mirror: mirror.url, keyring: nil, cache: folder.appendingPathComponent("cache")), environment: [:],
                                currentDirectory: folder.url)
        }
        #expect(valkey.map { "\($0)" }?.contains("valkey has no version for Ubuntu jammy; its versions per release: trixie: 8.1") == true)
    }

    @Test("no Ubuntu mirror: exit 2 naming --mirror and DIBKIT_UBUNTU_MIRROR; DIBKIT_UBUNTU_MIRROR is used")
    func mirrorRequired() async throws {
        let folder = try TemporaryFolder()
        let missing = await #expect(throws: BuildError.self) {
            try await planBuild(BuildSettings(elements: ["redis"]).releasing("noble"), environment: [:], currentDirectory: folder.url)
        }
        #expect(missing == .noUbuntuMirror(release: "noble") && missing?.isBadInput == true)
        #expect(missing.map { "\($0)" }?.contains("DIBKIT_UBUNTU_MIRROR") == true)
        let mirror = try Self.mirror()
        var settings = BuildSettings(elements: ["redis"]).releasing("noble")
        settings.cacheDirectory = folder.url
        let report = try await planBuild(settings, environment: ["DIBKIT_UBUNTU_MIRROR": mirror.url], currentDirectory: folder.url)
        #expect(report.mirror == mirror.url)
    }

    @Test("a mirror that accepts connections and never answers: dibkit build exits 1 within a minute, naming it; nothing left")
    func silentMirror() async throws {
        // A socket that listens and never accepts: the kernel completes the connection, nothing answers.
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(listener) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        try #require(bound == 0 && listen(listener, 16) == 0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) }
        }
        let mirror = "http://127.0.0.1:\(UInt16(bigEndian: address.sin_port))/ubuntu"
        let folder = try TemporaryFolder()
        let keyring = folder.appendingPathComponent("keyring.gpg")
        try Data("a keyring".utf8).write(to: keyring)
        for name in ["tmp", "cache", "images"] {
            try FileManager.default.createDirectory(at: folder.appendingPathComponent(name), withIntermediateDirectories: true)
        }
        let start = ContinuousClock.now
        let result = try DibkitBinary.run(
            ["build", "redis", "--release", "noble", "--mirror", mirror, "--keyring", keyring.path,
             "--cache-dir", folder.appendingPathComponent("cache").path, "-o", folder.appendingPathComponent("images/redis").path],
            environment: ["TMPDIR": folder.appendingPathComponent("tmp").path, "DIBKIT_ACCEL": "tcg"])
        let elapsed = ContinuousClock.now - start
        #expect(result.status == 1, "\(result.stderr)")
        #expect(elapsed < .seconds(60), "the issue's bound: within a minute (took \(elapsed))")
        #expect(result.stderr.contains(mirror), "\(result.stderr)")
        for name in ["tmp", "images"] {
            #expect(try FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent(name).path).isEmpty, "\(name) left")
        }
        let archive = folder.appendingPathComponent("cache/archive").path
        #expect((try? FileManager.default.contentsOfDirectory(atPath: archive))?.isEmpty ?? true, "no index kept")
    }

    @Test("the keyring from the Debian mirror's trixie: InRelease checked by gpgv, then the index and the package by SHA-256")
    func keyringFromDebian() async throws {
        let debian = try #require(AptSources.host(release: "trixie").mirror)
        let cache = try TemporaryFolder()
        var settings = BuildSettings(elements: ["redis"]).releasing("noble")
        settings.mirror = try Self.mirror().url
        settings.cacheDirectory = cache.url
        let configuration = try BuildConfiguration(settings, environment: [:], currentDirectory: cache.url)
        #expect(configuration.debianMirror == debian)
        let kept = cache.appendingPathComponent("keyrings/ubuntu-archive-keyring.gpg")
        try await ArchiveKeyring.fetch(.ubuntu, from: debian, to: kept)
        let keys = try runCommand(["gpg", "--show-keys", "--with-colons", kept.path], mergingErrors: false)
        #expect(keys.status == 0)
        #expect(keys.output.contains("Ubuntu Archive Automatic Signing Key"), "\(keys.output)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: kept.deletingLastPathComponent().path) == ["ubuntu-archive-keyring.gpg"],
                "no scratch left beside the keyring")
    }
}

extension BuildSettings {
    /// These settings for `release`.
    func releasing(_ release: String) -> BuildSettings {
        var settings = self
        settings.release = release
        return settings
    }
}
