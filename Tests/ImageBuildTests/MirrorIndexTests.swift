import Elements
import Foundation
import ImageBuild
import Reporting
import TestSupport
import Testing

@Suite("Releases and versions from the mirror: the host's apt sources, the suites' package indexes, the plan")
struct MirrorIndexTests {
    /// A `file:` mirror holding `dists/SUITE/InRelease` and `COMPONENT/binary-amd64/Packages.xz` for each suite.
    struct FixtureMirror {
        let folder: TemporaryFolder
        var url: String { "file://" + folder.url.path }

        init() throws { folder = try TemporaryFolder() }

        func add(
            suite: String, packages: String, universe: String? = nil, claimedSHA256: String? = nil, validUntil: String? = nil
        ) throws {
            var hashes = ""
            for (component, text) in [("main", packages), ("universe", universe)] {
                guard let text else { continue }
                let binary = folder.url.appendingPathComponent("dists/\(suite)/\(component)/binary-amd64")
                try FileManager.default.createDirectory(at: binary, withIntermediateDirectories: true)
                try Data(text.utf8).write(to: binary.appendingPathComponent("Packages"))
                let packed = try runCommand(["xz", "--force", binary.appendingPathComponent("Packages").path], mergingErrors: true)
                try #require(packed.status == 0, "xz: \(packed.output)")
                let hash = try runCommand(["sha256sum", binary.appendingPathComponent("Packages.xz").path], mergingErrors: false)
                    .output.split(separator: " ")[0]
                hashes += " \(component == "main" ? claimedSHA256 ?? String(hash) : String(hash)) 100 \(component)/binary-amd64/Packages.xz\n"
            }
            let release = "Origin: Debian\nSuite: \(suite)\n" + (validUntil.map { "Valid-Until: \($0)\n" } ?? "") + "SHA256:\n" + hashes
            try Data(release.utf8).write(to: folder.url.appendingPathComponent("dists/\(suite)/InRelease"))
        }
    }

    @Test("the host's mirror is found whatever suites its sources list: a bookworm-only host builds trixie")
    func hostSources() throws {
        let folder = try TemporaryFolder()
        try Data("""
            Types: deb
            URIs: http://archive.invalid/debian
            Suites: bookworm bookworm-updates
            Components: main

            Types: deb
            URIs: http://security.invalid/debian-security
            Suites: bookworm-security
            Components: main
            """.utf8).write(to: folder.url.appendingPathComponent("debian.sources"))
        try Data("deb https://vendor.invalid/apt cloud-sdk-bookworm main\n".utf8)
            .write(to: folder.url.appendingPathComponent("vendor.list"))
        for release in ["trixie", "bookworm"] {
            let sources = AptSources.host(release: release, folder: folder.url.path, files: [])
            #expect(sources.mirror == "http://archive.invalid/debian", "\(release)")
            #expect(sources.securityMirror == "http://security.invalid/debian-security", "\(release)")
        }
        // An inline Signed-By key: its continuation lines (one with a colon) are not fields; names any case.
        try Data("""
            types: deb
            URIs: http://inline.invalid/debian
            Signed-By:
             -----BEGIN PGP PUBLIC KEY BLOCK-----
             URIs: http://wrong.invalid/debian
             -----END PGP PUBLIC KEY BLOCK-----
            Suites: forky
            Components: main
            """.utf8).write(to: folder.url.appendingPathComponent("inline.sources"))
        #expect(AptSources.host(release: "forky", folder: folder.url.path, files: []).mirror == "http://inline.invalid/debian")
        let real = AptSources.host(release: "trixie")
        #expect(real.mirror != nil, "this host's apt sources name a Debian mirror")
    }

    @Test("a Release past its Valid-Until is refused (exit 1) naming suite, mirror, date and --allow-expired-release; accepted with it")
    func expiredRelease() async throws {
        let mirror = try FixtureMirror()
        try mirror.add(suite: "sid", packages: "Package: mysql-server\nVersion: 9.7.4-2\n", validUntil: "Fri, 06 Nov 2026 08:08:01 UTC")
        try mirror.add(suite: "trixie", packages: "Package: redis-server\nVersion: 5:8.0.2-3\n", validUntil: "Sat, 06 Nov 2100 08:08:01 UTC")
        let cache = try TemporaryFolder()
        let strict = MirrorIndex(mirror: mirror.url, cacheDirectory: cache.url)
        let error = await #expect(throws: BuildError.self) { try await strict.index(of: "sid") }
        #expect(error == .releaseExpired(mirror: mirror.url, suite: "sid", validUntil: "Fri, 06 Nov 2026 08:08:01 UTC"))
        #expect(error?.isBadInput == false)
        #expect(error.map { "\($0)" }?.contains("--allow-expired-release") == true)
        #expect(try await strict.index(of: "trixie").versions["redis-server"] == "5:8.0.2-3")
        let lenient = MirrorIndex(mirror: mirror.url, cacheDirectory: cache.url, acceptExpiredRelease: true)
        #expect(try await lenient.index(of: "sid").versions["mysql-server"] == "9.7.4-2")
    }

    @Test("a suite's index is read once, checked by InRelease's SHA-256 and kept; a missing suite is bad input")
    func fixtureMirror() async throws {
        let mirror = try FixtureMirror()
        try mirror.add(suite: "trixie", packages: "Package: redis-server\nVersion: 5:8.0.2-3\n\nPackage: jq\nVersion: 1.7.1-6\n")
        let cache = try TemporaryFolder()
        let index = try await MirrorIndex(mirror: mirror.url, cacheDirectory: cache.url).index(of: "trixie")
        #expect(index.versions == ["redis-server": "5:8.0.2-3", "jq": "1.7.1-6"])
        let kept = try FileManager.default.contentsOfDirectory(atPath: cache.url.appendingPathComponent("archive").path)
        #expect(kept.count == 1 && kept[0].hasPrefix("trixie-amd64-") && kept[0].hasSuffix(".tsv"), "\(kept)")
        // Kept: a later build reads InRelease only.
        try FileManager.default.removeItem(at: mirror.folder.url.appendingPathComponent("dists/trixie/main/binary-amd64/Packages.xz"))
        #expect(try await MirrorIndex(mirror: mirror.url, cacheDirectory: cache.url).index(of: "trixie") == index)

        let missing = await #expect(throws: BuildError.self) {
            try await MirrorIndex(mirror: mirror.url, cacheDirectory: cache.url).index(of: "forky")
        }
        #expect(missing?.failureKind == .badInput)
        #expect(missing?.description.contains("the mirror does not serve forky") == true, "\(String(describing: missing))")

        try mirror.add(suite: "bookworm", packages: "Package: jq\nVersion: 1.6-2.1\n", claimedSHA256: String(repeating: "0", count: 64))
        let damaged = await #expect(throws: BuildError.self) {
            try await MirrorIndex(mirror: mirror.url, cacheDirectory: cache.url).index(of: "bookworm")
        }
        #expect(damaged?.description.contains("not the 0000") == true, "\(String(describing: damaged))")
    }

    @Test("on the real mirror: postgresql 15 → bookworm, 17 → trixie; mariadb 10.11 / 11.8; redis 7.0 / 8.0; valkey 8.1 → trixie")
    func realMirror() async throws {
        let mirror = try #require(AptSources.host(release: "trixie").mirror)
        let index = MirrorIndex(mirror: mirror, cacheDirectory: BuildFixture.cache)
        let library = try ElementLibrary(searchPath: [try BuiltInElements.directory()])
        for (name, version, release) in [("postgresql", "15", "bookworm"), ("postgresql", "17", "trixie"),
                                         ("mariadb", "10.11", "bookworm"), ("mariadb", "11.8", "trixie"),
                                         ("redis", "7.0", "bookworm"), ("redis", "8.0", "trixie"),
                                         ("valkey", "8.1", "trixie")] {
            let choice = try await ReleaseChoice.choose(
                database: try library.element(named: name), version: version, edition: nil, source: nil, release: nil,
                releases: BuildConfiguration.releases, archive: index.index(of:))
            #expect(choice.release == release, "\(name) \(version)")
        }
    }

    @Test("every package of each database's plan, base root included, is in the mirror's index of its release",
          arguments: ["trixie", "bookworm", "sid"])
    func plannedPackagesExist(release: String) async throws {
        let mirror = try #require(AptSources.host(release: release).mirror)
        // The mirror these machines reach keeps a sid past its Valid-Until.
        let index = try await MirrorIndex(mirror: mirror, cacheDirectory: BuildFixture.cache, acceptExpiredRelease: true)
            .index(of: release)
        let databases = ["trixie": ["redis", "postgresql", "mariadb", "valkey"], "bookworm": ["redis", "postgresql", "mariadb"],
                         "sid": ["mysql"]][release] ?? []
        for database in databases {
            var settings = BuildSettings(elements: [database, "guest-agent"])
            settings.release = release
            settings.allowExpiredRelease = true
            settings.mirror = mirror
            settings.cacheDirectory = BuildFixture.cache
            let report = try await planBuild(settings, environment: [:], currentDirectory: URL(fileURLWithPath: "/repo"))
            for package in report.base.include + report.phases.flatMap(\.install) {
                #expect(index.versions[package] != nil, "\(database) on \(release): \(package) is not in the mirror's \(release)")
            }
        }
    }

    @Test("--plan: release, mirror, version, elements in order, hooks and packages per phase, as text and JSON")
    func plan() async throws {
        let mirror = try #require(AptSources.host(release: "trixie").mirror)
        var settings = BuildSettings(elements: ["postgresql"])
        settings.version = "17"
        settings.mirror = mirror
        settings.cacheDirectory = BuildFixture.cache
        let report = try await planBuild(settings, environment: [:], currentDirectory: URL(fileURLWithPath: "/repo"))
        #expect(report.release == "trixie" && report.arch == "amd64" && report.mirror == mirror)
        #expect(report.base.element == "debian" && report.base.tool == "mmdebstrap" && report.base.include.contains("openssh-server"))
        let database = try #require(report.database)
        #expect(database.element == "postgresql" && database.version == "17" && database.source == "distro")
        #expect(database.edition == nil && database.packages == ["postgresql-17"])
        #expect(report.elements.first?.name == "debian" && report.elements.last?.name == "postgresql")
        #expect(report.elements.first { $0.name == "postgresql" }?.hooks["post-install.d"] == ["10-postgresql-files", "40-postgresql-config"])
        let install = try #require(report.phases.first { $0.phase == "install.d" })
        #expect(install.inRoot && install.install.contains("postgresql-17") && !install.install.contains("postgresql-15"))
        #expect(report.phases.first { $0.phase == "post-install.d" }?.hooks.contains("postgresql/40-postgresql-config") == true)
        #expect(report.text.contains("release: trixie (amd64)") && report.text.contains("database: postgresql 17 (distro: postgresql-17)"))
        #expect(try JSONDecoder().decode(BuildPlanReport.self, from: try Manifest.encoder.encode(report)) == report)

        settings.version = "15"
        let bookworm = try await planBuild(settings, environment: [:], currentDirectory: URL(fileURLWithPath: "/repo"))
        #expect(bookworm.release == "bookworm" && bookworm.database?.packages == ["postgresql-15"])
    }
}
