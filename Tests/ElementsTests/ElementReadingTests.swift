import Foundation
import Testing

@testable import Elements

@Suite("Reading an element folder")
struct ElementReadingTests {
    @Test("element-deps (comments, blanks), provides, description from README.md, hooks as dib-run-parts picks them")
    func readsAnElement() throws {
        let library = try fixtureLibrary()
        let app = try library.element(named: "app")
        #expect(app.dependencies == ["lib", "os"])
        #expect(app.description == "An application element for tests.")
        #expect(app.hooks[.install]?.map(\.name) == ["20-app"], "50-skipped.sh has a dot, so dib-run-parts skips it")
        #expect(app.hooks[.postInstall] == nil, "10-not-executable is not executable")
        #expect(app.environmentFiles.map(\.lastPathComponent) == ["05-app.bash"])
        let os = try library.element(named: "os")
        #expect(os.provides == ["operating-system"])
        #expect(os.description == "a test operating system")
        #expect(os.hooks[.root]?.first?.path == fixtures.appendingPathComponent("os/root.d/10-os"))
    }

    @Test("a README.rst's title and underline are skipped; the first sentence is the description")
    func readmeDescription() throws {
        let element = try fixtureLibrary().element(named: "dib-style")
        #expect(element.description == "An element written for diskimage-builder.")
    }

    @Test("hooks sort as dib-run-parts' `sort -n`: by leading number, then byte order")
    func hookOrder() throws {
        let lib = try fixtureLibrary().element(named: "lib")
        #expect(lib.hooks[.install]?.map(\.name) == ["5-lib-early", "100-lib-late"])
        let names = ["10-b", "5-z", "10-a", "100-a", "x-none", "_first", "0-zero"]
        #expect(names.sorted(by: Hook.runsBefore) == ["0-zero", "_first", "x-none", "5-z", "10-a", "10-b", "100-a"])
        #expect(Hook.isRunnable(name: "50-redis_conf-2"))
        #expect(!Hook.isRunnable(name: "50-foo.sh") && !Hook.isRunnable(name: "") && !Hook.isRunnable(name: "10 space"))
    }

    @Test("element.yaml: bootstrap, first-boot parameters in file order, versions per source, editions, ports")
    func manifest() throws {
        let library = try fixtureLibrary()
        let bootstrap = try #require(try library.element(named: "os").manifest.bootstrap)
        #expect(bootstrap == ElementManifest.Bootstrap(
            tool: "mmdebstrap", variant: "minbase", components: ["main", "contrib"], include: ["a", "b"], exclude: nil,
            pathFilter: ["path-exclude=/usr/share/doc/*", "path-include=/usr/share/doc/*/copyright"]))
        let db = try library.element(named: "db").manifest
        #expect(db.description == "A test database")
        #expect(db.firstboot?.section == "db")
        #expect(db.firstboot?.parameters == [
            .init(name: "port", default: "7000", description: "TCP port"),
            .init(name: "password", default: nil, description: "generated when absent"),
            .init(name: "bind", default: nil, description: nil),
        ])
        #expect(db.versions.sources.map(\.name) == ["distro", "upstream"])
        #expect(db.versions.supported == ["distro": ["7.0"], "upstream": ["7.2", "7.4", "15"]])
        let latest = try #require(db.versions.sources.last?.entries.first { $0.version == "7.4" })
        #expect(latest == .init(version: "7.4", packages: ["db-server-74"], releases: ["bookworm", "trixie"], isDefault: true))
        #expect(db.editions[.enterprise]?.supported == ["vendor": ["8.0"]])
        #expect(db.editions[.community]?.sources.first?.entries.first?.packages == ["db-community"])
        #expect(db.ports == [7000, 7001])
        #expect(try library.element(named: "app").manifest == ElementManifest())
    }

    @Test("pkg-map: release over distro over family over default; empty means nothing; unknown names stay")
    func packageMap() throws {
        let map = try #require(try fixtureLibrary().element(named: "dib-style").packageMap)
        #expect(map.packages(for: "http-client", distro: "debian", release: "bookworm") == ["curl"])
        #expect(map.packages(for: "http-client", distro: "fedora", release: nil) == ["curl-minimal"])
        #expect(map.packages(for: "http-client", distro: "gentoo", release: nil) == ["wget"])
        #expect(map.packages(for: "web-server", distro: "debian", release: "bookworm") == ["nginx"])
        #expect(map.packages(for: "web-server", distro: "debian", release: "trixie") == ["nginx-light"])
        #expect(map.packages(for: "not-here", distro: "ubuntu", release: "noble") == [])
        #expect(map.packages(for: "editor", distro: "debian", release: nil) == ["vim-tiny", "nano"])
        #expect(map.packages(for: "jq", distro: "debian", release: nil) == ["jq"])
    }

    @Test("a malformed element.yaml names the file, the line and the key", arguments: [
        ("descripton: typo\n", "line 1: unknown key 'descripton' in element.yaml"),
        ("ports: [70000]\n", "port 70000 is not in 1-65535"),
        ("ports: 22\n", "ports must be a list of port numbers"),
        ("bootstrap:\n  tool: yum\n", "bootstrap.tool 'yum' is not mmdebstrap or debootstrap"),
        ("bootstrap:\n  path-filter: [\"exclude=/usr/share/doc/*\"]\n",
         "bootstrap.path-filter 'exclude=/usr/share/doc/*' is not a dpkg path filter: write path-exclude=/GLOB or path-include=/GLOB"),
        ("firstboot:\n  parameters: {a: {default: 1}}\n", "firstboot needs a section"),
        ("editions:\n  premium: {}\n", "unknown key 'premium' in editions; known keys: community, enterprise"),
        ("versions:\n  distro:\n    \"1.0\": {packages: [x], version: 2}\n", "unknown key 'version' in versions.distro.1.0"),
        ("versions:\n  distro:\n    \"1.0\": {default: maybe}\n", "versions.distro.1.0.default must be true or false"),
        ("description: [a\n", "not valid YAML"),
    ])
    func badManifest(yaml: String, expected: String) throws {
        let elements = try TemporaryElements()
        try elements.write("broken", "element.yaml", yaml)
        let error = elementError { _ = try elements.library() }
        guard case .badFile(let path, let reason) = error else {
            Issue.record("expected badFile, got \(String(describing: error))")
            return
        }
        #expect(path.hasSuffix("broken/element.yaml"))
        #expect(reason.contains(expected), "\(reason)")
        #expect(error?.description.hasPrefix(path) == true)
    }

    @Test("a pkg-map that is not one names the file and the problem")
    func badPackageMap() throws {
        let elements = try TemporaryElements()
        try elements.write("mapped", "pkg-map", #"{"default": {"a": ["b"]}}"#)
        let error = elementError { _ = try elements.library() }
        #expect(error?.description.contains("mapped/pkg-map: 'default.a' must be a string of package names") == true)
        try elements.write("mapped", "pkg-map", #"{"defaults": {}}"#)
        #expect(elementError { _ = try elements.library() }?.description.contains("unknown section 'defaults'") == true)
        try elements.write("mapped", "pkg-map", "{")
        #expect(elementError { _ = try elements.library() }?.description.contains("not valid JSON") == true)
    }
}
