import Testing

@testable import Elements

/// Release and version chosen together, the archive rows checked against an index of each suite (here
/// written out as Packages stanzas, as a mirror serves them; MirrorIndexTests reads the real mirror).
@Suite("Release choice: -v picks the release that ships it, --release refuses a version it does not ship")
struct ReleaseChoiceTests {
    let library: ElementLibrary

    init() throws { library = try builtInLibrary() }

    static let suites: [String: ArchiveIndex] = [
        "trixie": ArchiveIndex(suite: "trixie", packages: """
            Package: redis-server
            Version: 5:8.0.2-3+deb13u3

            Package: postgresql-17
            Version: 17.12-0+deb13u1

            Package: mariadb-server
            Version: 1:11.8.9+ds-0+deb13u1
            """),
        "bookworm": ArchiveIndex(suite: "bookworm", packages: """
            Package: redis-server
            Version: 5:7.0.15-1~deb12u7

            Package: postgresql-15
            Version: 15.18-0+deb12u1

            Package: mariadb-server
            Version: 1:10.11.18-0+deb12u1
            """),
        "sid": ArchiveIndex(suite: "sid", packages: """
            Package: mysql-server
            Version: 9.7.4-2

            Package: redis-server
            Version: 5:8.0.5-1
            """),
    ]

    func choose(
        _ name: String, version: String? = nil, release: String? = nil, source: String? = nil,
        suites: [String: ArchiveIndex] = suites
    ) async throws -> ReleaseChoice {
        try await ReleaseChoice.choose(
            database: try library.element(named: name), version: version, edition: nil, source: source, release: release,
            releases: ["trixie", "bookworm", "sid"]) { suite in
                guard let index = suites[suite] else { throw ElementError.badFile(path: suite, reason: "no such suite") }
                return index
            }
    }

    @Test("Debian versions: epoch and revision stripped; a table version matches at a dot, + or ~")
    func upstreamVersions() {
        #expect(ArchiveIndex.upstream("5:8.0.2-3+deb13u3") == "8.0.2")
        #expect(ArchiveIndex.upstream("1:11.8.9+ds-0+deb13u1") == "11.8.9+ds")
        #expect(ArchiveIndex.upstream("4.4.3-P1-8") == "4.4.3-P1")
        #expect(ArchiveIndex.upstream("17.12-0+deb13u1", matches: "17"))
        #expect(ArchiveIndex.upstream("1:11.8.9+ds-0+deb13u1", matches: "11.8"))
        #expect(!ArchiveIndex.upstream("5:8.01-1", matches: "8.0"))
        #expect(!ArchiveIndex.upstream("17.12-0", matches: "1"))
        let index = Self.suites["trixie"]
        #expect(index?.versions["postgresql-17"] == "17.12-0+deb13u1")
        #expect(ArchiveIndex(suite: "trixie", lines: index?.lines ?? "") == index)
    }

    @Test("without --release: trixie by default; -v 15, 10.11 or 7.0 builds bookworm, -v 17, 11.8 or 8.0 trixie")
    func versionPicksRelease() async throws {
        let defaults = try await choose("redis")
        #expect(defaults.release == "trixie" && defaults.selection?.entry.version == "8.0")
        for (name, bookworm, trixie) in [("postgresql", "15.4", "17"), ("mariadb", "10.11", "11.8.2"), ("redis", "7.0.15", "8.0")] {
            let old = try await choose(name, version: bookworm)
            #expect(old.release == "bookworm" && old.selection?.source == "distro", "\(name) \(bookworm)")
            let new = try await choose(name, version: trixie)
            #expect(new.release == "trixie" && new.selection?.source == "distro", "\(name) \(trixie)")
        }
        // A vendor package is for any release: the default one unless --release says otherwise.
        let vendor = try await choose("redis", version: "7.2", source: "vendor")
        #expect(vendor.release == "trixie" && vendor.selection?.source == "vendor")
    }

    @Test("MySQL is in Debian's unstable suite only: without -v or with -v 9.7 the build is for sid; --release trixie names sid")
    func mysqlFromSid() async throws {
        let plain = try await choose("mysql")
        #expect(plain.release == "sid" && plain.selection?.source == "distro" && plain.selection?.entry.version == "9.7")
        let asked = try await choose("mysql", version: "9.7.4")
        #expect(asked.release == "sid" && asked.selection?.entry.packages == ["mysql-server"])
        let trixie = await #expect(throws: ElementError.self) { try await choose("mysql", version: "9.7", release: "trixie") }
        #expect(trixie == .versionInOtherRelease(element: "mysql", version: "9.7", release: "trixie", releases: ["sid"]))
        // The vendor's package is still for the default release.
        let vendor = try await choose("mysql", version: "8.4", source: "vendor")
        #expect(vendor.release == "trixie" && vendor.selection?.source == "vendor")
    }

    @Test("--release with a version it does not ship, or a release the table lacks: an error naming the releases that ship it")
    func releaseRefusesVersion() async throws {
        let fifteen = await #expect(throws: ElementError.self) { try await choose("postgresql", version: "15", release: "trixie") }
        #expect(fifteen == .versionInOtherRelease(element: "postgresql", version: "15", release: "trixie", releases: ["bookworm"]))
        #expect(fifteen?.description.contains("Build it with --release bookworm") == true)
        let forky = await #expect(throws: ElementError.self) { try await choose("redis", release: "forky") }
        #expect(forky == .noVersionForRelease(element: "redis", release: "forky", available: ["trixie: 8.0", "bookworm: 7.0", "noble: 7.0", "jammy: 6.0"],
                                                    vendor: ["6.2", "7.0", "7.2", "7.4", "8.0"]))
        let explicit = try await choose("postgresql", version: "15", release: "bookworm")
        #expect(explicit.release == "bookworm" && explicit.selection?.entry.packages == ["postgresql-15"])
    }

    @Test("a row the mirror's index does not hold is refused, naming what the index has")
    func rowCheckedAgainstIndex() async throws {
        var suites = Self.suites
        suites["trixie"] = ArchiveIndex(suite: "trixie", packages: "Package: redis-server\nVersion: 5:8.2.1-1\n")
        let moved = await #expect(throws: ElementError.self) { try await choose("redis", suites: suites) }
        #expect(moved == .notInMirror(element: "redis", version: "8.0", release: "trixie", found: ["redis-server 5:8.2.1-1"]))
        let missing = await #expect(throws: ElementError.self) { try await choose("postgresql", version: "17", suites: suites) }
        #expect(missing == .notInMirror(element: "postgresql", version: "17", release: "trixie", found: ["postgresql-17 (none)"]))
    }
}
