import Foundation
import Testing

@testable import Elements

@Suite("package-installs.yaml and pkg-map")
struct PackageTests {
    @Test("phases, uninstall, build-only, arch, not-arch, when, list form, installtype, python version")
    func filtering() throws {
        let amd = try plan(["app"])
        #expect(amd.packages(for: .install) == PackageSet(
            install: ["plain", "compiler", "amd-only", "when-not-yes", "source-only"], uninstall: ["tool", "compiler"]))
        #expect(amd.packages(for: .preInstall) == PackageSet(install: ["libtool", "listed"]))
        #expect(amd.packages(for: .postInstall) == PackageSet(install: ["late"]))
        #expect(amd.packages(for: .finalise) == PackageSet(), "the finalise.d entry of `listed` is for arm64 only")
        #expect(amd.packages(for: .root) == PackageSet())
        let arm = try plan(["app"], variables: ["APP_FEATURE": "yes", "DIB_RELEASE": "bookworm", "DIB_INSTALLTYPE_app": "package",
                                                "DIB_PYTHON_VERSION": "2"], arch: "arm64")
        #expect(arm.packages(for: .install).install == ["plain", "compiler", "not-on-amd", "when-yes", "both-conditions", "py2-only"])
        #expect(arm.packages(for: .finalise).install == ["listed"])
        let old = try plan(["app"], variables: ["APP_FEATURE": "yes", "DIB_RELEASE": "buster", "DIB_DEFAULT_INSTALLTYPE": "package"])
        #expect(!old.packages(for: .install).install.contains("both-conditions"))
        #expect(!old.packages(for: .install).install.contains("source-only"))
    }

    @Test("entries parse into what they say")
    func entries() throws {
        let entries = try fixtureLibrary().element(named: "app").packageInstalls
        let byName = Dictionary(grouping: entries, by: \.package)
        #expect(entries.count == 13)
        #expect(byName["amd-only"]?.first?.architectures == ["amd64", "i386"])
        #expect(byName["not-on-amd"]?.first?.excludedArchitectures == ["x86_64"])
        #expect(byName["both-conditions"]?.first?.conditions.map(\.description) == ["APP_FEATURE = yes", "DIB_RELEASE != buster"])
        #expect(byName["listed"]?.map(\.phase) == [.preInstall, .finalise])
        #expect(byName["compiler"]?.first?.buildOnly == true)
        #expect(byName["plain"]?.first == PackageInstall(package: "plain", element: "app"))
    }

    @Test("when: is diskimage-builder's `VAR = value` / `VAR != value`, blanks optional")
    func conditions() throws {
        let equal = try #require(PackageCondition("DIB_FOO=yes"))
        #expect(equal.variable == "DIB_FOO" && !equal.negated && equal.value == "yes")
        let spaced = try #require(PackageCondition("DIB_FOO  !=  two words"))
        #expect(spaced.negated && spaced.value == "two words")
        #expect(spaced.holds(for: "other") && !spaced.holds(for: "two words"))
        #expect(PackageCondition("= yes") == nil && PackageCondition("DIB_FOO yes") == nil && PackageCondition("") == nil)
    }

    @Test("a when: on a variable the build does not set is an error naming element, package and variable")
    func unsetVariable() throws {
        let error = elementError { _ = try plan(["app"], variables: [:]) }
        #expect(error == .unsetVariable(element: "app", package: "when-yes", variable: "APP_FEATURE"))
        #expect(error?.description.contains("environment.d") == true)
    }

    @Test("names go through the element's pkg-map; a name mapped to nothing is dropped")
    func packageMap() throws {
        let bookworm = try plan(["dib-style"], variables: debianVariables)
        #expect(bookworm.packages(for: .install).install == ["curl"])
        #expect(bookworm.packages(for: .postInstall).install == ["nginx"])
        let trixie = try plan(["dib-style"], variables: debianVariables.merging(["DIB_RELEASE": "trixie"]) { $1 })
        #expect(trixie.packages(for: .postInstall).install == ["nginx-light"])
        let files = bookworm.packageMapFiles
        #expect(files.keys.sorted() == ["dib-style"])
        #expect(files["dib-style"] == "editor\tvim-tiny nano\nhttp-client\tcurl\nnot-here\t\nweb-server\tnginx\n")
    }

    @Test("a malformed package-installs.yaml names the file, the package and the problem", arguments: [
        ("pkg:\n  phase: install\n", "package 'pkg': unknown phase 'install'; use one of pre-install.d, install.d, post-install.d, finalise.d"),
        ("pkg:\n  phase: root.d\n", "phase root.d runs on the host"),
        ("pkg:\n  uninstal: true\n", "line 2: unknown key 'uninstal' in the options of package 'pkg'"),
        ("pkg:\n  arch: amd64\n  not-arch: i386\n", "package 'pkg': give arch or not-arch, not both"),
        ("pkg:\n  when: DIB_X yes\n", "malformed when 'DIB_X yes'"),
        ("pkg:\n  uninstall: sometimes\n", "package 'pkg': uninstall must be true or false"),
        ("pkg: yes\n", "package 'pkg': options must be a mapping or a list of mappings"),
        ("- pkg\n", "package-installs must be a mapping"),
        ("pkg: [\n", "not valid YAML"),
    ])
    func badFile(yaml: String, expected: String) throws {
        let elements = try TemporaryElements()
        try elements.write("bad", "package-installs.yaml", yaml)
        let error = elementError { _ = try elements.library() }
        #expect(error?.description.contains("bad/package-installs.yaml: ") == true)
        #expect(error?.description.contains(expected) == true, "\(String(describing: error))")
    }

    @Test("package-installs.json is read when there is no YAML file; an empty file lists nothing")
    func jsonAndEmpty() throws {
        let elements = try TemporaryElements()
        try elements.write("json", "package-installs.json", #"{"libxml2": null, "grub2": {"phase": "pre-install.d"}}"#)
        try elements.write("empty", "package-installs.yaml", "# nothing yet\n")
        let library = try elements.library()
        #expect(try library.element(named: "json").packageInstalls.map { "\($0.package)@\($0.phase.rawValue)" }
            == ["libxml2@install.d", "grub2@pre-install.d"])
        #expect(try library.element(named: "empty").packageInstalls.isEmpty)
    }
}
