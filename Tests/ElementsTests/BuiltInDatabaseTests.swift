import Testing

@testable import Elements

/// The built-in database elements through the real loader: their version tables (the build refuses the
/// vendor-only ones without `-p`: see ImageBuildTests).
@Suite("Built-in databases: version tables, vendor packages")
struct BuiltInDatabaseTests {
    let library: ElementLibrary

    init() throws { library = try builtInLibrary() }

    @Test("trixie's PostgreSQL 17, MariaDB 11.8 and Redis 8.0 beside bookworm's 15, 10.11 and 7.0; each release's default is its own")
    func tablesPerRelease() throws {
        let expected = [("postgresql", "17", "15", ["postgresql-17"]), ("mariadb", "11.8", "10.11", ["mariadb-server"]),
                        ("redis", "8.0", "7.0", ["redis-server"])]
        for (name, trixie, bookworm, packages) in expected {
            let element = try library.element(named: name)
            let newest = try #require(try VersionSelection.select(for: element, version: nil, edition: nil, release: "trixie"))
            #expect(newest.source == "distro" && newest.entry.version == trixie && newest.entry.packages == packages)
            #expect(try VersionSelection.select(for: element, version: nil, edition: nil, release: "bookworm")?.entry.version == bookworm)
            // On trixie only the vendor's package (-p) gives bookworm's version; ReleaseChoiceTests: the refusal without -p.
            #expect(try VersionSelection.select(for: element, version: bookworm, edition: nil, release: "trixie")?.source == "vendor")
        }
    }

    @Test("postgresql 15 and mariadb 10.11 come from Debian bookworm; -v picks them by major or major.minor")
    func debianTables() throws {
        let postgresql = try library.element(named: "postgresql")
        let fifteen = try #require(try VersionSelection.select(for: postgresql, version: "15.8", edition: nil,
                                                               release: "bookworm"))
        #expect(fifteen.source == "distro" && fifteen.entry.packages == ["postgresql-15"])
        let mariadb = try library.element(named: "mariadb")
        #expect(try VersionSelection.select(for: mariadb, version: "10.11.6", edition: nil, release: "bookworm")?
            .entry.packages == ["mariadb-server"])
        // 16 is Ubuntu noble's: on Debian trixie it is the vendor's package.
        #expect(try VersionSelection.select(for: postgresql, version: "16.4", edition: nil, release: "trixie")?.source == "vendor")
        #expect(try VersionSelection.select(for: postgresql, version: "16.4", edition: nil, release: "noble")?.entry.packages == ["postgresql-16"])
        let error = elementError { _ = try VersionSelection.select(for: postgresql, version: "12", edition: nil) }
        #expect(error == .unsupportedVersion(
            element: "postgresql", requested: "12", supported: ["distro": ["17", "15", "16", "14"], "vendor": ["13", "14", "15", "16", "17"]]))
        #expect(!postgresql.manifest.installsOnlyFromUserPackage && !mariadb.manifest.installsOnlyFromUserPackage)
    }

    @Test("mysql has sid's 9.7 and vendor 8.0 and 8.4; mongodb community and enterprise editions of 6.0 and 7.0")
    func vendorTables() throws {
        let mysql = try library.element(named: "mysql")
        #expect(!mysql.manifest.installsOnlyFromUserPackage)
        let sid = try VersionSelection.select(for: mysql, version: nil, edition: nil, release: "sid")
        #expect(sid?.entry.version == "9.7" && sid?.source == "distro" && sid?.entry.packages == ["mysql-server"])
        #expect(try VersionSelection.select(for: mysql, version: "8.0.39", edition: nil, release: "trixie")?.source == "vendor")
        #expect(try VersionSelection.select(for: mysql, version: "8.0.39", edition: nil, release: "noble")?.source == "distro")
        let mongodb = try library.element(named: "mongodb")
        #expect(mongodb.manifest.installsOnlyFromUserPackage)
        let enterprise = try #require(try VersionSelection.select(for: mongodb, version: "6.0.19", edition: .enterprise))
        #expect(enterprise.entry.packages == ["mongodb-enterprise"] && enterprise.edition == .enterprise)
        #expect(try VersionSelection.select(for: mongodb, version: nil, edition: nil)?.edition == .community)
        let noEdition = elementError { _ = try VersionSelection.select(for: mysql, version: nil, edition: .enterprise) }
        #expect(noEdition == .unsupportedEdition(element: "mysql", requested: "enterprise", defined: []))
    }
}
