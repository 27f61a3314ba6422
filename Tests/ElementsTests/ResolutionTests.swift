import Foundation
import Testing

@testable import Elements

@Suite("Resolving elements into a build plan")
struct ResolutionTests {
    @Test("dependencies come before the elements that need them; hooks and environment.d merge across elements")
    func resolutionOrder() throws {
        let result = try plan(["app"])
        #expect(result.elements.map(\.name) == ["os", "lib", "app"])
        #expect(result.operatingSystem.name == "os")
        #expect(result.hooks(for: .root).map(\.name) == ["10-os"])
        #expect(result.hooks(for: .install).map(\.name) == ["5-lib-early", "20-app", "100-lib-late"])
        #expect(result.hooks(for: .install).map(\.element) == ["lib", "app", "lib"])
        #expect(result.hooks(for: .cleanup).isEmpty)
        #expect(result.environmentFiles.map(\.lastPathComponent) == ["05-app.bash", "10-os.bash"])
        #expect(try plan(["dib-style", "app"]).elements.map(\.name) == ["os", "dib-style", "lib", "app"])
        #expect(try plan(["app", "dib-style"]).elements.map(\.name) == ["os", "lib", "app", "dib-style"])
        #expect(result.variables["DISTRO_NAME"] == "os" && result.variables["ARCH"] == "amd64")
    }

    @Test("a name another element of the build provides is satisfied by it; the element of that name stays out")
    func virtualDependencies() throws {
        let provided = try plan(["grub-ish", "wants-bootloader"])
        #expect(provided.elements.map(\.name) == ["os", "grub-ish", "wants-bootloader"])
        #expect(provided.hooks(for: .finalise).isEmpty)
        let real = try plan(["wants-bootloader"])
        #expect(real.elements.map(\.name) == ["os", "bootloader", "wants-bootloader"])
        #expect(real.hooks(for: .finalise).map(\.name) == ["50-real-bootloader"])
        // Provided only after the element of that name was already reached: DIB leaves that element out.
        #expect(try plan(["wants-bootloader", "grub-ish"]).elements.map(\.name) == ["os", "wants-bootloader", "grub-ish"])
    }

    @Test("DIB's package-installs, pkg-map, dpkg and friends are dibkit's own work: depending on them resolves")
    func builtInDependencies() throws {
        let element = try fixtureLibrary().element(named: "dib-style")
        #expect(element.dependencies == ["os", "package-installs", "pkg-map"])
        #expect(try plan(["dib-style"]).elements.map(\.name) == ["os", "dib-style"])
        #expect(try fixtureLibrary().dependencyTree(of: "dib-style")
            == "dib-style\n  os\n  package-installs (done by dibkit itself)\n  pkg-map (done by dibkit itself)")
    }

    @Test("an unknown element names the chain that needed it, the folders searched and what exists")
    func missingElement() throws {
        let error = elementError { _ = try plan(["chain-top"]) }
        guard case .missing(let name, let chain, let searched, let available) = error else {
            Issue.record("expected .missing, got \(String(describing: error))")
            return
        }
        #expect(name == "not-there")
        #expect(chain == ["chain-top", "needs-missing"])
        #expect(searched == [fixtures.path])
        #expect(available.contains("app") && available.contains("os") && !available.contains("not-there"))
        let message = error?.description ?? ""
        #expect(message.contains("no element named 'not-there' (needed by chain-top → needs-missing → not-there)"))
        #expect(message.contains("looked in \(fixtures.path)"))
        #expect(message.contains("elements that exist: app, bootloader, chain-top"))
        #expect(message.contains("ELEMENTS_PATH"))
        let direct = elementError { _ = try plan(["redis-typo"]) }
        #expect(direct == .missing(name: "redis-typo", chain: [], searched: [fixtures.path], available: available))
        #expect(direct?.description.hasPrefix("no element named 'redis-typo'; looked in") == true)
        #expect(elementError { _ = try fixtureLibrary().element(named: "nope") }?.description.contains(fixtures.path) == true)
    }

    @Test("a dependency cycle shows the chain, from where it closes")
    func cycle() throws {
        #expect(elementError { _ = try plan(["loop-a"]) } == .cycle(["loop-a", "loop-b", "loop-a"]))
        let longer = elementError { _ = try plan(["loop-c"]) }
        #expect(longer == .cycle(["loop-a", "loop-b", "loop-a"]))
        #expect(longer?.description == "element dependency cycle: loop-a → loop-b → loop-a; remove one of these element-deps lines")
    }

    @Test("two elements providing one name, or asking for an element another provides, are errors")
    func conflictingProvides() throws {
        let error = elementError { _ = try plan(["os", "os2"]) }
        #expect(error == .conflictingProvides(name: "operating-system", elements: ["os", "os2"]))
        #expect(error?.description == "elements os and os2 both provide 'operating-system'; use only one of them")
        let provided = elementError { _ = try plan(["bootloader", "grub-ish"]) }
        #expect(provided == .alreadyProvided(name: "bootloader", provider: "grub-ish"))
        #expect(provided?.description.contains("element 'grub-ish' provides 'bootloader' too") == true)
    }

    @Test("one file name in one merged folder of two elements is an error, also against dibkit's own tools")
    func duplicateHook() throws {
        let error = elementError { _ = try plan(["dup-a", "dup-b"]) }
        #expect(error == .duplicateHook(phase: "install.d", hook: "30-same", elements: ["dup-a", "dup-b"]))
        #expect(error?.description.contains("dup-a and dup-b both have install.d/30-same") == true)
        let tool = elementError { _ = try plan(["shadows-tool"]) }
        #expect(tool == .duplicateHook(phase: "bin", hook: "install-packages", elements: ["dibkit's own tools", "shadows-tool"]))
    }

    @Test("without an element providing operating-system the plan fails and names the elements")
    func noOperatingSystem() throws {
        let elements = try TemporaryElements()
        try elements.write("lonely", "element-deps", "helper\n")
        try elements.write("helper", "README.md", "helps\n")
        let error = elementError { _ = try BuildPlan.resolve(["lonely"], in: try elements.library(), variables: [:], arch: "amd64") }
        #expect(error == .noOperatingSystem(elements: ["helper", "lonely"]))
        #expect(error?.description.contains("add a base element such as debian") == true)
    }

    @Test("ELEMENTS_PATH folders come before the built-in one, and the first element of a name wins")
    func searchPathPrecedence() throws {
        let path = ElementLibrary.searchPath(environment: ["ELEMENTS_PATH": "\(overrides.path)::\(fixtures.path)/"], builtIn: fixtures)
        #expect(path.map(\.path) == [overrides.path, fixtures.path, fixtures.path])
        #expect(ElementLibrary.searchPath(environment: [:], builtIn: fixtures) == [fixtures])
        let library = try ElementLibrary(searchPath: [overrides, fixtures])
        #expect(try library.element(named: "os").description == "the overriding os")
        #expect(try library.element(named: "os").directory.path == overrides.appendingPathComponent("os").path)
        #expect(library.overridden.map(\.directory.path) == [fixtures.appendingPathComponent("os").path])
        #expect(try library.element(named: "app").directory.path == fixtures.appendingPathComponent("app").path)
        #expect(library.elements.map(\.name) == library.elements.map(\.name).sorted())
        #expect(try plan(["app"]).operatingSystem.description == "a test operating system")
        let overridden = try BuildPlan.resolve(["app"], in: library, variables: buildVariables, arch: "amd64")
        #expect(overridden.operatingSystem.description == "the overriding os")
        #expect(overridden.hooks(for: .root).isEmpty, "the overriding os has no root.d")
    }

    @Test("a search path entry that is not a folder is an error naming it")
    func notAFolder() throws {
        let error = elementError { _ = try ElementLibrary(searchPath: [URL(fileURLWithPath: "/nonexistent/elements"), fixtures]) }
        #expect(error == .notAFolder(path: "/nonexistent/elements"))
        #expect(error?.description.contains("fix ELEMENTS_PATH") == true)
    }

    @Test("the dependency tree marks provided names, missing ones, repeats and cycles")
    func dependencyTree() throws {
        let library = try fixtureLibrary()
        #expect(library.dependencyTree(of: "app") == "app\n  lib\n    os\n  os")
        #expect(library.dependencyTree(of: "loop-c") == "loop-c\n  loop-a\n    loop-b\n      loop-a (cycle: loop-a → loop-b → loop-a)")
        #expect(library.dependencyTree(of: "needs-missing")
            == "needs-missing\n  os\n  not-there (missing: no element has this name or provides it)")
        #expect(try plan(["app"]).dependencyTree(of: "app") == library.dependencyTree(of: "app"))
        let elements = try TemporaryElements()
        try elements.writeOperatingSystem("base")
        try elements.write("db", "element-deps", "operating-system\nmid\n")
        try elements.write("mid", "element-deps", "leaf\n")
        try elements.write("leaf", "element-deps", "operating-system\n")
        try elements.write("top", "element-deps", "mid\ndb\n")
        #expect(try elements.library().dependencyTree(of: "top")
            == "top\n  mid\n    leaf\n      operating-system (provided by base)\n  db\n    operating-system (provided by base)\n    mid (see above)")
        let resolved = try BuildPlan.resolve(["base", "top"], in: try elements.library(), variables: [:], arch: "amd64")
        #expect(resolved.elements.map(\.name) == ["base", "leaf", "mid", "db", "top"])
    }

    @Test("the database element is the first one asked for that has a version table")
    func databaseElement() throws {
        #expect(try plan(["app", "db"]).databaseElement?.name == "db")
        #expect(try plan(["app"]).databaseElement == nil)
    }
}
