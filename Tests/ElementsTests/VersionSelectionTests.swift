import Testing

@testable import Elements

@Suite("Version tables: -v, -c, -e")
struct VersionSelectionTests {
    let db: Element
    let app: Element

    init() throws {
        let library = try fixtureLibrary()
        db = try library.element(named: "db")
        app = try library.element(named: "app")
    }

    @Test("-v uses the first two components, else the first; sources in file order")
    func versions() throws {
        let patch = try #require(try VersionSelection.select(for: db, version: "7.0.15", edition: nil))
        #expect(patch.source == "distro" && patch.entry.version == "7.0" && patch.entry.packages == ["db-server"])
        #expect(patch.edition == nil)
        #expect(patch.environment == ["DIBKIT_DATABASE": "db", "DIBKIT_DB_VERSION": "7.0", "DIBKIT_DB_SOURCE": "distro", "DIBKIT_DB_PACKAGES": "db-server"])
        #expect(try VersionSelection.select(for: db, version: "7.2", edition: nil)?.source == "upstream")
        #expect(try VersionSelection.select(for: db, version: "15.4", edition: nil)?.entry.packages == ["db15"])
        #expect(try VersionSelection.select(for: db, version: "15", edition: nil)?.entry.version == "15")
        #expect(VersionSelection.candidates(for: "7.0.15") == ["7.0", "7"])
        #expect(VersionSelection.candidates(for: "16") == ["16"])
    }

    @Test("no -v: the row marked default, else the first")
    func defaults() throws {
        #expect(try VersionSelection.select(for: db, version: nil, edition: nil)?.entry.version == "7.4")
        #expect(try VersionSelection.select(for: db, version: nil, edition: nil, source: "distro")?.entry.version == "7.0")
        #expect(try VersionSelection.select(for: app, version: nil, edition: nil) == nil, "no table, nothing asked: nothing to select")
    }

    @Test("an unsupported version lists the supported versions per source")
    func unsupportedVersion() throws {
        let error = elementError { _ = try VersionSelection.select(for: db, version: "6.2.1", edition: nil) }
        #expect(error == .unsupportedVersion(element: "db", requested: "6.2.1",
                                             supported: ["distro": ["7.0"], "upstream": ["7.2", "7.4", "15"]]))
        #expect(error?.description == "db has no version 6.2.1; supported versions: distro: 7.0; upstream: 7.2, 7.4, 15")
        let narrowed = elementError { _ = try VersionSelection.select(for: db, version: "7.2", edition: nil, source: "distro") }
        #expect(narrowed?.description == "db has no version 7.2; supported versions: distro: 7.0")
    }

    @Test("-c and -e pick the edition's table; an undefined edition or one on an element without editions is an error")
    func editions() throws {
        let enterprise = try #require(try VersionSelection.select(for: db, version: "8.0.1", edition: .enterprise))
        #expect(enterprise.source == "vendor" && enterprise.entry.packages == ["db-enterprise"])
        #expect(enterprise.environment["DIBKIT_EDITION"] == "enterprise")
        #expect(try VersionSelection.select(for: db, version: nil, edition: .community)?.entry.packages == ["db-community"])
        let none = elementError { _ = try VersionSelection.select(for: app, version: nil, edition: .enterprise) }
        #expect(none == .unsupportedEdition(element: "app", requested: "enterprise", defined: []))
        #expect(none?.description.contains("has no editions") == true)
        let elements = try TemporaryElements()
        try elements.write("only-community", "element.yaml", "editions:\n  community:\n    upstream:\n      \"1.0\": {packages: [c]}\n")
        let communityOnly = try elements.library().element(named: "only-community")
        let missing = elementError { _ = try VersionSelection.select(for: communityOnly, version: nil, edition: .enterprise) }
        #expect(missing?.description == "only-community has no enterprise edition; it defines: community")
        let fallback = try VersionSelection.select(for: communityOnly, version: "1.0", edition: nil)
        #expect(fallback?.edition == .community, "with only editions, no flag means community")
    }

    @Test("-v on an element without a version table, an unknown source and a wrong release are errors")
    func otherErrors() throws {
        #expect(elementError { _ = try VersionSelection.select(for: app, version: "1.0", edition: nil) } == .noVersionTable(element: "app"))
        let source = elementError { _ = try VersionSelection.select(for: db, version: nil, edition: nil, source: "ppa") }
        #expect(source?.description == "db has no source 'ppa'; its sources: distro, upstream")
        let release = elementError { _ = try VersionSelection.select(for: db, version: "7.0", edition: nil, release: "trixie") }
        #expect(release == .unsupportedRelease(element: "db", version: "7.0", release: "trixie", releases: ["bookworm"]))
        #expect(try VersionSelection.select(for: db, version: "7.4", edition: nil, release: "trixie")?.entry.version == "7.4")
        #expect(try VersionSelection.select(for: db, version: "7.2", edition: nil, release: "trixie")?.entry.version == "7.2",
                "a row without releases fits any release")
    }
}
