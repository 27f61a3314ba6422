import Foundation
import Testing

@testable import Elements

/// The fixture elements beside this file.
let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
let overrides = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("FixturesOverride")

func plan(_ names: [String], variables: [String: String] = [:], arch: String = "amd64") throws -> BuildPlan {
    try BuildPlan.resolve(names, in: try ElementLibrary(searchPath: [fixtures]), variables: variables, arch: arch)
}

@Suite("Elements: reading, resolving and planning diskimage-builder elements")
struct ElementsTests {
    @Test("element-deps (comments, blanks), provides, description, hooks as dib-run-parts picks them")
    func readsAnElement() throws {
        let library = try ElementLibrary(searchPath: [fixtures])
        let app = try #require(library.element(named: "app"))
        #expect(app.dependencies == ["lib", "os"])
        #expect(app.description == "An application element for tests.")
        #expect(app.hooks[.install]?.map(\.name) == ["20-app"])
        #expect(app.hooks[.postInstall] == nil)
        let os = try #require(library.element(named: "os"))
        #expect(os.provides == ["operating-system"])
        #expect(os.description == "a test operating system")
        #expect(os.manifest.bootstrap?.include == ["a", "b"])
        #expect(os.environmentFiles.map(\.lastPathComponent) == ["10-os.bash"])
    }

    @Test("dependencies come before the elements that need them; the operating system is found")
    func resolutionOrder() throws {
        let result = try plan(["app"])
        #expect(result.elements.map(\.name) == ["os", "lib", "app"])
        #expect(result.operatingSystem.name == "os")
        #expect(result.hooks(for: .root).map(\.name) == ["10-os"])
        #expect(result.environmentFiles.map(\.lastPathComponent) == ["10-os.bash"])
        let library = try ElementLibrary(searchPath: [fixtures])
        #expect(library.dependencyTree(of: "app") == "app\n  lib\n    os\n  os")
        #expect(library.dependencyTree(of: "loop-a") == "loop-a\n  loop-b\n    loop-a (cycle)")
        #expect(library.dependencyTree(of: "needs-missing").hasSuffix("  not-there (not an element: must be provided by one)"))
    }

    @Test("package-installs.yaml: phases, uninstall, arch, not-arch, when, list form")
    func packageFiltering() throws {
        let amd = try plan(["app"])
        #expect(amd.packages(for: .install) == PackageSet(install: ["plain", "amd-only", "when-not-yes"], uninstall: ["tool"]))
        #expect(amd.packages(for: .postInstall).install == ["late"])
        #expect(amd.packages(for: .preInstall).install == ["listed"])
        #expect(amd.packages(for: .finalise).install == ["listed"])
        let arm = try plan(["app"], variables: ["APP_FEATURE": "yes"], arch: "arm64")
        #expect(arm.packages(for: .install).install == ["plain", "not-on-amd", "when-yes"])
    }

    @Test("an unknown element names the chain that needed it, the folders searched and what exists")
    func missingElement() throws {
        #expect(throws: ElementError.self) { try plan(["needs-missing"]) }
        do { _ = try plan(["needs-missing"]) } catch let error as ElementError {
            guard case .missing(let name, let chain, let searched, let available) = error else {
                Issue.record("unexpected \(error)")
                return
            }
            #expect(name == "not-there")
            #expect(chain == ["needs-missing"])
            #expect(searched == [fixtures.path])
            #expect(available.contains("app") && available.contains("os"))
            #expect(error.description.contains("needs-missing → not-there"))
            #expect(error.description.contains(fixtures.path))
        }
    }

    @Test("a dependency cycle shows the chain")
    func cycle() throws {
        #expect(throws: ElementError.cycle(["loop-a", "loop-b", "loop-a"])) { try plan(["loop-a"]) }
        #expect(ElementError.cycle(["loop-a", "loop-b", "loop-a"]).description.contains("loop-a → loop-b → loop-a"))
    }

    @Test("two elements providing one name, two hooks of one name, or no operating system are errors")
    func conflicts() throws {
        #expect(throws: ElementError.conflictingProvides(name: "operating-system", elements: ["os", "os2"])) {
            try plan(["os", "os2"])
        }
        #expect(throws: ElementError.duplicateHook(phase: "install.d", hook: "30-same", elements: ["dup-a", "dup-b"])) {
            try plan(["dup-a", "dup-b"])
        }
        #expect(throws: ElementError.noOperatingSystem(elements: ["lib-free"])) {
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("elements-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: folder.appendingPathComponent("lib-free"), withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: folder) }
            _ = try BuildPlan.resolve(["lib-free"], in: try ElementLibrary(searchPath: [folder]), variables: [:], arch: "amd64")
        }
    }

    @Test("ELEMENTS_PATH folders come before the built-in ones, and the first element of a name wins")
    func searchPathPrecedence() throws {
        let path = ElementLibrary.searchPath(environment: ["ELEMENTS_PATH": "\(overrides.path)::/nonexistent"], builtIn: fixtures)
        #expect(path.map(\.path) == [overrides.path, "/nonexistent", fixtures.path])
        let library = try ElementLibrary(searchPath: path)
        #expect(library.element(named: "os")?.description == "the overriding os")
        #expect(library.element(named: "app") != nil)
    }

    @Test("a malformed package-installs.yaml names the file and the problem")
    func badPackageInstalls() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("elements-\(UUID().uuidString)")
        let element = folder.appendingPathComponent("bad")
        try FileManager.default.createDirectory(at: element, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try Data("pkg:\n  phase: install\n".utf8).write(to: element.appendingPathComponent("package-installs.yaml"))
        #expect(throws: ElementError.self) { try ElementLibrary(searchPath: [folder]) }
        do { _ = try ElementLibrary(searchPath: [folder]) } catch {
            #expect(String(describing: error).contains("unknown phase 'install'"))
            #expect(String(describing: error).contains("package-installs.yaml"))
        }
    }

    @Test("install-packages keeps DIB's interface: -e removes, -m is accepted, nothing to do is fine")
    func installPackagesScript() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tools-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let script = folder.appendingPathComponent("install-packages")
        try Data(try #require(InTargetTools.files["install-packages"]).utf8).write(to: script)
        // A recording apt-get stands in for apt only to observe the arguments the script passes.
        try Data("#!/bin/sh\necho \"apt-get $*\" >> \(folder.path)/calls\n".utf8).write(to: folder.appendingPathComponent("apt-get"))
        for name in ["install-packages", "apt-get"] {
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: folder.appendingPathComponent(name).path)
        }
        func run(_ arguments: String) throws -> Int32 {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/bash")
            process.arguments = ["-c", "PATH=\(folder.path):$PATH \(script.path) \(arguments)"]
            try process.run()
            process.waitUntilExit()
            return process.terminationStatus
        }
        #expect(try run("") == 0)
        #expect(try run("-m somemap curl") == 0)
        #expect(try run("-e curl") == 0)
        #expect(try run("-x") == 2)
        let calls = try String(contentsOf: folder.appendingPathComponent("calls"), encoding: .utf8)
        #expect(calls.contains("install --no-install-recommends curl"))
        #expect(calls.contains("purge curl"))
        #expect(calls.contains("autoremove --purge"))
    }
}
