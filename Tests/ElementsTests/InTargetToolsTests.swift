import Foundation
import TestSupport
import Testing

@testable import Elements

/// The in-target tools run under bash in a folder laid out like `/tmp/in_target.d`. A recording `apt-get`
/// stands in for apt only to observe the arguments the script passes; real installs are covered by the
/// build test.
@Suite("install-packages, pkg-map and dib-init-system inside the root")
struct InTargetToolsTests {
    /// `/tmp/in_target.d` in miniature: `bin/` with the tools and a recording apt-get, `pkg-map.d/` from a plan.
    struct HooksFolder {
        private let temporary: TemporaryFolder
        var folder: URL { temporary.url }
        var bin: URL { folder.appendingPathComponent("bin") }
        var calls: URL { folder.appendingPathComponent("calls") }

        init(packageMaps: [String: String] = [:]) throws {
            let temporary = try TemporaryFolder()
            try Self.populate(temporary.url, packageMaps: packageMaps)
            self.temporary = temporary
        }

        private static func populate(_ folder: URL, packageMaps: [String: String]) throws {
            let files = FileManager.default
            try files.createDirectory(at: folder.appendingPathComponent("bin"), withIntermediateDirectories: true)
            try files.createDirectory(at: folder.appendingPathComponent("pkg-map.d"), withIntermediateDirectories: true)
            var tools = InTargetTools.files
            tools["apt-get"] = "#!/bin/sh\necho \"apt-get $*\" >> \(folder.path)/calls\n"
            for (name, contents) in tools {
                let path = folder.appendingPathComponent("bin").appendingPathComponent(name)
                try Data(contents.utf8).write(to: path)
                try files.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path.path)
            }
            for (element, contents) in packageMaps {
                try Data(contents.utf8).write(to: folder.appendingPathComponent("pkg-map.d").appendingPathComponent(element))
            }
        }

        /// Runs `command` under bash with `bin/` first on PATH; returns exit status and standard output.
        func run(_ command: String) throws -> (status: Int32, output: String) {
            let result = try runCommand(["bash", "-c", command], environment: ["PATH": "\(bin.path):/usr/bin:/bin"], mergingErrors: false)
            return (result.status, result.output)
        }

        func recordedCalls() -> [String] {
            ((try? String(contentsOf: calls, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
        }
    }

    @Test("install-packages: DIB's -e and -m, no recommends, confold; lists fetched when there are none")
    func installPackages() throws {
        let hooks = try HooksFolder(packageMaps: try plan(["dib-style"], variables: debianVariables).packageMapFiles)
        let options = "-y -q -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold"
        #expect(try hooks.run("install-packages").status == 0)
        #expect(try hooks.run("install-packages curl 'two words'").status == 0)
        #expect(try hooks.run("install-packages -m dib-style http-client editor not-here jq").status == 0)
        #expect(try hooks.run("install-packages -m no-such-map redis-server").status == 0)
        #expect(try hooks.run("install-packages -e curl").status == 0)
        #expect(try hooks.run("install-packages -x curl").status == 1)
        #expect(try hooks.run("install-packages -m").status == 1)
        let update = "apt-get -q update"
        let lists = compgen("/var/lib/apt/lists/*_Packages*")
        #expect(hooks.recordedCalls() == [
            lists ? nil : update, "apt-get \(options) install --no-install-recommends curl two words",
            lists ? nil : update, "apt-get \(options) install --no-install-recommends curl vim-tiny nano jq",
            lists ? nil : update, "apt-get \(options) install --no-install-recommends redis-server",
            "apt-get \(options) purge curl", "apt-get \(options) autoremove --purge",
        ].compactMap { $0 })
    }

    @Test("a hook written for diskimage-builder calls install-packages -m unchanged")
    func dibStyleHook() throws {
        let hooks = try HooksFolder(packageMaps: try plan(["dib-style"], variables: debianVariables).packageMapFiles)
        let hook = fixtures.appendingPathComponent("dib-style/install.d/50-dib-style")
        #expect(try hooks.run("set -eu -o pipefail; \(hook.path)").status == 0)
        #expect(hooks.recordedCalls().last?.hasSuffix("install --no-install-recommends curl") == true)
    }

    @Test("pkg-map: translations from pkg-map.d, --missing-ok, --prefix, exit 2 without a map, 1 for an unknown name")
    func packageMap() throws {
        let hooks = try HooksFolder(packageMaps: try plan(["dib-style"], variables: debianVariables).packageMapFiles)
        #expect(try hooks.run("pkg-map --element dib-style http-client web-server not-here") == (0, "curl\nnginx\n"))
        #expect(try hooks.run("pkg-map --element dib-style --prefix - --distro debian editor") == (0, "-vim-tiny\n-nano\n"))
        #expect(try hooks.run("pkg-map --element dib-style jq").status == 1)
        #expect(try hooks.run("pkg-map --element dib-style --missing-ok jq") == (0, "jq\n"))
        #expect(try hooks.run("pkg-map --element nothing jq").status == 2)
        #expect(try hooks.run("pkg-map --element nothing --missing-ok jq ab") == (0, "jq\nab\n"))
        #expect(try hooks.run("pkg-map jq").status == 1)
    }

    @Test("dib-init-system prints systemd; the scripts are valid bash")
    func initSystemAndSyntax() throws {
        let hooks = try HooksFolder()
        #expect(try hooks.run("dib-init-system") == (0, "systemd\n"))
        for name in ["install-packages", "pkg-map"] {
            #expect(try hooks.run("bash -n \(hooks.bin.appendingPathComponent(name).path)").status == 0, "\(name)")
        }
    }

    /// Whether bash's glob matches something on this host (the script checks the root's lists the same way).
    private func compgen(_ pattern: String) -> Bool {
        (try? runCommand(["bash", "-c", "compgen -G '\(pattern)' >/dev/null"]).status) == 0
    }
}
