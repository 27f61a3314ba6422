import Testing

@testable import Elements

/// The built-in database elements through the real loader: their version tables, and the vendor-only
/// ones refusing to resolve without the user's package.
@Suite("Built-in databases: version tables, vendor packages")
struct BuiltInDatabaseTests {
    let library: ElementLibrary

    init() throws {
        library = try ElementLibrary(searchPath: [try BuiltInElements.directory()])
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
        let error = elementError { _ = try VersionSelection.select(for: postgresql, version: "16", edition: nil) }
        #expect(error == .unsupportedVersion(element: "postgresql", requested: "16", supported: ["distro": ["15"]]))
        #expect(!postgresql.manifest.installsOnlyFromUserPackage && !mariadb.manifest.installsOnlyFromUserPackage)
    }

    @Test("mysql has vendor 8.0 and 8.4; mongodb community and enterprise editions of 6.0 and 7.0")
    func vendorTables() throws {
        let mysql = try library.element(named: "mysql")
        #expect(mysql.manifest.installsOnlyFromUserPackage)
        #expect(try VersionSelection.select(for: mysql, version: nil, edition: nil)?.entry.version == "8.4")
        #expect(try VersionSelection.select(for: mysql, version: "8.0.39", edition: nil)?.source == "vendor")
        let mongodb = try library.element(named: "mongodb")
        #expect(mongodb.manifest.installsOnlyFromUserPackage)
        let enterprise = try #require(try VersionSelection.select(for: mongodb, version: "6.0.19", edition: .enterprise))
        #expect(enterprise.entry.packages == ["mongodb-enterprise"] && enterprise.edition == .enterprise)
        #expect(try VersionSelection.select(for: mongodb, version: nil, edition: nil)?.edition == .community)
        let noEdition = elementError { _ = try VersionSelection.select(for: mysql, version: nil, edition: .enterprise) }
        #expect(noEdition == .unsupportedEdition(element: "mysql", requested: "enterprise", defined: []))
    }

    @Test("mysql and mongodb without DIBKIT_PACKAGE stop resolution, saying what to pass; with it they resolve")
    func vendorOnlyNeedsAPackage() throws {
        let variables = ["DIB_RELEASE": "bookworm"]
        let mysql = elementError { _ = try BuildPlan.resolve(["mysql"], in: library, variables: variables, arch: "amd64") }
        #expect(mysql == .needsUserPackage(element: "mysql", supported: ["vendor": ["8.0", "8.4"]]))
        #expect(mysql?.description == "mysql is not in the Debian archive: it installs only from the vendor's "
            + "package. Pass it with -p FILE (a .deb, or a tarball with setup.sh at its root) and its version with "
            + "-v VERSION; supported versions: vendor: 8.0, 8.4")
        let mongodb = elementError { _ = try BuildPlan.resolve(["mongodb"], in: library, variables: variables, arch: "amd64") }
        #expect(mongodb?.description.hasSuffix(", -c or -e for the edition; supported versions: community vendor: "
            + "6.0, 7.0; enterprise vendor: 6.0, 7.0") == true)

        let given = variables.merging([BuildPlan.userPackageVariable: "/tmp/in_target.d/user-package/mysql.tar"]) { $1 }
        let plan = try BuildPlan.resolve(["mysql"], in: library, variables: given, arch: "amd64")
        #expect(plan.elements.last?.name == "mysql")
        #expect(Set(plan.elements.map(\.name)).isSuperset(of: ["debian", "firstboot", "firewall", "mysql-common"]))
        #expect(try BuildPlan.resolve(["postgresql"], in: library, variables: variables, arch: "amd64")
            .databaseElement?.name == "postgresql")
    }
}
