import Foundation
import TestSupport
import Testing

/// The built-in elements' files: DIB layout, hook names, shell syntax, YAML and package names.
@Suite struct ElementLayoutTests {
    static let elements = [
        "debian", "ubuntu", "vm", "cloud-init", "firstboot", "firewall", "redis-common", "redis", "valkey", "postgresql",
        "mariadb", "mysql-common", "mysql", "mongodb",
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

    @Test func pythonFilesCompile() throws {
        let files = [
            "firstboot/static/usr/lib/dibkit/firstboot",
            "firstboot/static/usr/lib/dibkit/python/dibkit_firstboot.py",
            "redis-common/static/usr/lib/dibkit/python/dibkit_redis.py",
            "redis/static/usr/lib/dibkit/firstboot.d/50-redis",
            "valkey/static/usr/lib/dibkit/firstboot.d/50-valkey",
            "postgresql/static/usr/lib/dibkit/firstboot.d/50-postgresql",
            "mysql-common/static/usr/lib/dibkit/python/dibkit_mysql.py",
            "mariadb/static/usr/lib/dibkit/firstboot.d/50-mariadb",
            "mysql/static/usr/lib/dibkit/firstboot.d/50-mysql",
            "mongodb/static/usr/lib/dibkit/firstboot.d/50-mongodb",
        ].map { elementsDirectory.appendingPathComponent($0).path }
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

        let expected: [(element: String, ports: [Int], parameters: Set<String>)] = [
            ("redis", [6379], ["port", "password", "maxmemory", "maxmemory_policy", "bind"]),
            ("valkey", [6379], ["port", "password", "maxmemory", "maxmemory_policy", "bind"]),
            ("postgresql", [5432], ["listen_addresses", "port", "user", "password", "database", "replication_user",
                                    "replication_password", "allowed_networks"]),
            ("mariadb", [3306], ["bind_address", "port", "database", "user", "password", "root_password", "root_host",
                                 "tls", "allowed_networks", "server_id", "replication_user", "replication_password",
                                 "replica_of"]),
            ("mysql", [3306], ["bind_address", "port", "database", "user", "password", "tls", "allowed_networks",
                               "server_id", "replication_user", "replication_password", "replica_of"]),
            ("mongodb", [27017], ["bind_ip", "port", "admin_user", "admin_password"]),
        ]
        for (element, ports, names) in expected {
            let yaml = try Self.yaml("\(element)/element.yaml")
            #expect(yaml["ports"] as? [Int] == ports, "\(element)")
            let section = try #require(yaml["firstboot"] as? [String: Any], "\(element)")
            #expect(section["section"] as? String == element)
            #expect(Set((section["parameters"] as? [String: Any] ?? [:]).keys) == names, "\(element)")
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
        let otherReleases: Set = ["valkey-server", "mysql-server", "mysql-client"]
        for package in Set(packages) where !package.hasPrefix("postgresql-") && !otherReleases.contains(package) {
            let policy = try runCommand(["apt-cache", "policy", package])
            #expect(policy.output.contains("Candidate:") && !policy.output.contains("Candidate: (none)"),
                    "package \(package) is not in the archive")
        }
    }
}
