import Foundation
import TestSupport
import Testing

/// The built-in elements' files: DIB layout, hook names, shell syntax, YAML and package names.
@Suite struct ElementLayoutTests {
    static let elements = [
        "debian", "ubuntu", "vm", "cloud-init", "firstboot", "firewall", "redis-common", "redis", "valkey", "postgresql",
        "mariadb", "mysql-common", "mysql", "mongodb", "backup",
    ]
    static let phases = [
        "root.d", "extra-data.d", "pre-install.d", "install.d", "post-install.d", "block-device.d",
        "finalise.d", "cleanup.d",
    ]

    /// Every hook of every phase folder of the built-in elements.
    static func hooks() throws -> [URL] {
        var found: [URL] = []
        for element in elements {
            for phase in phases {
                let folder = elementsDirectory.appendingPathComponent("\(element)/\(phase)")
                guard FileManager.default.fileExists(atPath: folder.path) else { continue }
                for name in try FileManager.default.contentsOfDirectory(atPath: folder.path) {
                    found.append(folder.appendingPathComponent(name))
                }
            }
        }
        return found.sorted { $0.path < $1.path }
    }

    @Test func hooksAreExecutableBashWithDIBNamesAndValidSyntax() throws {
        let hooks = try Self.hooks()
        #expect(hooks.count >= 12)
        var names = Set<String>()
        for hook in hooks {
            let name = hook.lastPathComponent
            #expect(name.range(of: "^[0-9]{2}-[0-9A-Za-z_-]+$", options: .regularExpression) != nil, "\(hook.path)")
            #expect(names.insert(name).inserted, "hook name \(name) is used twice")
            #expect(FileManager.default.isExecutableFile(atPath: hook.path), "\(hook.path) is not executable")
            let text = try String(contentsOf: hook, encoding: .utf8)
            #expect(text.hasPrefix("#!/bin/bash\n"), "\(hook.path)")
            #expect(text.contains("set -eu -o pipefail"), "\(hook.path)")
            let syntax = try runCommand(["bash", "-n", hook.path])
            #expect(syntax.status == 0, "bash -n \(hook.path): \(syntax.output)")
        }
    }

    @Test func redisCommonsBuildScriptIsExecutableBashWithValidSyntax() throws {
        let script = elementsDirectory.appendingPathComponent("redis-common/bin/redis-common-config").path
        #expect(FileManager.default.isExecutableFile(atPath: script))
        let text = try String(contentsOfFile: script, encoding: .utf8)
        #expect(text.hasPrefix("#!/bin/bash\n") && text.contains("set -eu -o pipefail"))
        let syntax = try runCommand(["bash", "-n", script])
        #expect(syntax.status == 0, "\(syntax.output)")
        let refused = try runCommand(["bash", script, "memcached"])
        #expect(refused.status == 2 && refused.output.contains("expected redis or valkey"), "\(refused.output)")
    }

    /// Each element's `post-install.d/*-files` scripts install every file of its static/ tree at the same path
    /// (a module left out is an ImportError at first boot, seen only in a booted image). guest-agent installs
    /// its templates from install.d instead.
    @Test func everyStaticFileReachesTheRoot() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: elementsDirectory.path).sorted()
        for name in names {
            let element = elementsDirectory.appendingPathComponent(name)
            let staticTree = element.appendingPathComponent("static").path
            let postInstall = element.appendingPathComponent("post-install.d").path
            let scripts = ((try? FileManager.default.contentsOfDirectory(atPath: postInstall)) ?? []).filter { $0.hasSuffix("-files") }.sorted()
            guard FileManager.default.fileExists(atPath: staticTree), !scripts.isEmpty else { continue }
            let target = FileManager.default.temporaryDirectory.appendingPathComponent("dibkit-extra-\(UUID().uuidString.prefix(8))")
            defer { try? FileManager.default.removeItem(at: target) }
            for script in scripts {
                let path = element.appendingPathComponent("post-install.d/\(script)").path
                let result = try runCommand(["bash", path], environment: ["TARGET_ROOT": target.path])
                #expect(result.status == 0, "\(name)/\(script): \(result.output)")
            }
            let files = try #require(FileManager.default.enumerator(atPath: staticTree)).compactMap { $0 as? String }
            for file in files where !isDirectory(staticTree + "/" + file) && !file.contains("__pycache__") {
                let installed = target.path + "/" + file
                #expect(FileManager.default.contentsEqual(atPath: installed, andPath: staticTree + "/" + file),
                        "\(name): static/\(file) is not installed by post-install.d/*-files")
            }
        }
    }

    private func isDirectory(_ path: String) -> Bool {
        var directory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &directory) && directory.boolValue
    }

    /// Every Python file of the elements' static trees (a `.py` module, or a script starting `#!/usr/bin/python3`)
    /// parses, and the scripts are executable.
    @Test func pythonFilesCompile() throws {
        var files: [String] = []
        for element in Self.elements {
            let tree = elementsDirectory.appendingPathComponent("\(element)/static")
            guard let walker = FileManager.default.enumerator(atPath: tree.path) else { continue }
            for case let relative as String in walker {
                let path = tree.appendingPathComponent(relative).path
                let head = (try? FileHandle(forReadingFrom: URL(fileURLWithPath: path)).read(upToCount: 18)) ?? nil
                if relative.hasSuffix(".py") || head == Data("#!/usr/bin/python3".utf8) { files.append(path) }
            }
        }
        #expect(files.count >= 15, "\(files)")
        let script = "import ast, sys\nfor f in sys.argv[1:]: ast.parse(open(f).read(), f)"
        let result = try runCommand(["python3", "-c", script] + files)
        #expect(result.status == 0, "\(result.output)")
        for file in files where !file.hasSuffix(".py") {
            #expect(FileManager.default.isExecutableFile(atPath: file), "\(file) is not executable")
        }
    }

    @Test func dependenciesResolveAndDebianAndUbuntuProvideTheOperatingSystem() throws {
        for system in ["debian", "ubuntu"] {
            let provides = try String(
                contentsOf: elementsDirectory.appendingPathComponent("\(system)/element-provides"), encoding: .utf8)
            #expect(provides == "operating-system\n")
        }
        for element in Self.elements {
            let deps = elementsDirectory.appendingPathComponent("\(element)/element-deps")
            guard let text = try? String(contentsOf: deps, encoding: .utf8) else { continue }
            for dependency in text.split(separator: "\n") where !dependency.hasPrefix("#") {
                #expect(Self.elements.contains(String(dependency)) || dependency == "operating-system",
                        "\(element) needs unknown \(dependency)")
            }
        }
    }

    /// The settings `element`'s first-boot hook takes: the list it gives when refusing an unknown one.
    static func parametersTaken(by element: String) throws -> Set<String> {
        let root = try FakeRoot(database: element)
        defer { root.remove() }
        try root.setInstance("iid-parameters")
        try root.setUserData("#cloud-config\ndibkit:\n  \(element): {not_a_setting: 1}\n")
        let output = try root.runFirstboot().output
        let known = try #require(output.split(separator: "\n").first { $0.contains("setting(s) not_a_setting; known: ") },
                                 "\(element): \(output)")
        let list = known[known.range(of: "known: ")!.upperBound...]
        return Set(list.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
    }

    /// Each element's YAML, as JSON from python3-yaml (the test target has no YAML library of its own).
    static func yaml(_ relative: String) throws -> [String: Any] {
        let file = elementsDirectory.appendingPathComponent(relative).path
        let script = "import json, sys, yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1])) or {}))"
        let result = try runCommand(["python3", "-c", script, file])
        try #require(result.status == 0, "\(relative): \(result.output)")
        return try #require(try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any])
    }

    @Test func elementYamlDescribesEachElementAndTheDatabasesTheirPortsAndParameters() throws {
        for element in Self.elements {
            let yaml = try Self.yaml("\(element)/element.yaml")
            let description = try #require(yaml["description"] as? String, "\(element) has no description")
            #expect(description.count > 20)
        }
        let redis = try Self.yaml("redis/element.yaml")
        let versions = try #require(redis["versions"] as? [String: [String: [String: [String]]]])
        #expect(versions["distro"]?["7.0"]?["packages"] == ["redis-server"])
        #expect(versions["distro"]?["7.0"]?["releases"] == ["bookworm", "noble"])
        #expect(versions["distro"]?["6.0"]?["releases"] == ["jammy"])
        #expect(versions["distro"]?["8.0"]?["releases"] == ["trixie"])
        let valkey = try Self.yaml("valkey/element.yaml")
        let valkeyVersions = try #require(valkey["versions"] as? [String: [String: [String: [String]]]])
        #expect(valkeyVersions == ["distro": ["8.1": ["packages": ["valkey-server"], "releases": ["trixie"]]]])

        // The parameters documented are exactly those the first-boot hook takes (it lists them when refusing
        // an unknown one).
        let expected: [(element: String, ports: [Int])] = [
            ("redis", [6379]), ("valkey", [6379]), ("postgresql", [5432]), ("mariadb", [3306]), ("mysql", [3306]),
            ("mongodb", [27017]),
        ]
        for (element, ports) in expected {
            let yaml = try Self.yaml("\(element)/element.yaml")
            #expect(yaml["ports"] as? [Int] == ports, "\(element)")
            let section = try #require(yaml["firstboot"] as? [String: Any], "\(element)")
            #expect(section["section"] as? String == element)
            let documented = Set((section["parameters"] as? [String: Any] ?? [:]).keys)
            #expect(documented == (try Self.parametersTaken(by: element)), "\(element)")
        }

        let bootstrap = try #require(try Self.yaml("debian/element.yaml")["bootstrap"] as? [String: Any])
        #expect(bootstrap["tool"] as? String == "mmdebstrap")
        #expect(bootstrap["variant"] as? String == "minbase")
        let include = try #require(bootstrap["include"] as? [String])
        #expect(include.contains("systemd-sysv") && include.contains("openssh-server") && include.contains("python3"))
    }

    /// Every package named by the elements, checked against the host's apt lists (Debian 12 here), bar the
    /// server packages of one release (`postgresql-17` and `valkey-server` are trixie's, `mysql-server` sid's)
    /// and Ubuntu's names: MirrorIndexTests checks each Debian release's plan against the mirror's index of it.
    @Test(.enabled(if: commandExists("apt-cache"), "needs apt-cache (a Debian host)"))
    func packagesExistInTheArchive() throws {
        var packages = try #require(
            try Self.yaml("debian/element.yaml")["bootstrap"] as? [String: Any])["include"] as? [String] ?? []
        for element in Self.elements {
            let file = elementsDirectory.appendingPathComponent("\(element)/package-installs.yaml")
            guard FileManager.default.fileExists(atPath: file.path) else { continue }
            packages += try Self.yaml("\(element)/package-installs.yaml").keys
        }
        #expect(packages.count > 20)
        let otherReleases: Set = ["valkey-server", "valkey-sentinel", "mysql-server", "mysql-client"]
        for package in Set(packages) where !package.hasPrefix("postgresql-") && !otherReleases.contains(package) {
            let policy = try runCommand(["apt-cache", "policy", package])
            #expect(policy.output.contains("Candidate:") && !policy.output.contains("Candidate: (none)"),
                    "package \(package) is not in the archive")
        }
    }
}
