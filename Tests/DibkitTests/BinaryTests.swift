import Foundation
import TestSupport
import Testing

@Suite("The dibkit binary")
struct BinaryTests {
    @Test("help lists the subcommands; a missing element is a usage error with exit status 64")
    func helpAndUsage() throws {
        let help = try DibkitBinary.run(["--help"])
        #expect(help.status == 0)
        #expect(help.stdout.contains("build"))
        let usage = try DibkitBinary.run(["build"])
        #expect(usage.status == 64)
        #expect(usage.stderr.contains("Missing expected argument '<elements> ...'"))
    }

    @Test("libguestfs is loaded on first use, not linked: the binary does not need it to start")
    func guestfsNotLinked() throws {
        let readelf = Process()
        readelf.executableURL = URL(fileURLWithPath: "/usr/bin/readelf")
        readelf.arguments = ["--dynamic", DibkitBinary.url.path]
        let output = Pipe()
        readelf.standardOutput = output
        try readelf.run()
        let dynamic = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        readelf.waitUntilExit()
        #expect(readelf.terminationStatus == 0)
        #expect(dynamic.contains("(NEEDED)"))
        #expect(!dynamic.contains("libguestfs"), "\(dynamic)")
    }

    @Test("an unknown element exits 2 naming the elements that exist and the folders searched")
    func unknownElement() throws {
        let result = try DibkitBinary.run(["build", "nosuchdb", "--json"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("nosuchdb"))
        #expect(result.stderr.contains("redis"))
        #expect(result.stderr.contains("elements"))
        let payload = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: String]
        #expect(payload?["error"]?.contains("nosuchdb") == true)
    }

    @Test("mongodb, and mysql 8.4 (Debian has 9.7 in sid only), without -p exit 2 before any work, saying they install only from the vendor's package",
          arguments: [["mysql", "-v", "8.4"], ["mongodb"]])
    func vendorOnlyWithoutPackage(request: [String]) throws {
        let database = request[0]
        let result = try DibkitBinary.run(["build"] + request + ["--json", "-o", "/nonexistent-dibkit-test/\(database)"])
        #expect(result.status == 2)
        let what = database == "mysql" ? "mysql 8.4" : database
        #expect(result.stderr.contains("\(what) is not in the Debian archive: it installs only from the vendor's package"), "\(result.stderr)")
        #expect(result.stderr.contains("-p FILE") && result.stderr.contains("-v VERSION"))
        #expect(result.stderr.contains(database == "mysql" ? "vendor: 8.0, 8.4" : "enterprise vendor: 6.0, 7.0"))
    }

    @Test("elements lists every built-in element with a description; show gives tree, parameters and versions")
    func elementsCommand() throws {
        let list = try DibkitBinary.run(["elements"])
        #expect(list.status == 0)
        for name in ["debian", "vm", "cloud-init", "firstboot", "firewall", "redis-common", "redis", "valkey", "postgresql",
                     "mariadb", "mysql-common", "mysql", "mongodb", "backup"] {
            let line = list.stdout.split(separator: "\n").first { $0.hasPrefix(name + " ") }
            #expect(line.map { $0.count > name.count + 10 } == true, "\(name) needs a line with a description")
        }
        let show = try DibkitBinary.run(["elements", "show", "redis"])
        #expect(show.status == 0)
        #expect(show.stdout.contains("  redis\n    redis-common\n      firstboot\n        cloud-init\n          vm\n"
            + "            operating-system (provided by debian or ubuntu)\n      firewall\n      backup\n        firstboot (see above)\n"
            + "    firstboot (see above)\n    firewall\n"), "\(show.stdout)")
        #expect(show.stdout.contains("port [default: 6379]"))
        #expect(show.stdout.contains("  trixie (default): 8.0 (redis-server)\n  bookworm: 7.0 (redis-server)\n"
            + "  noble: 7.0 (redis-server)\n  jammy: 6.0 (redis-server)\n  vendor, any release (-p FILE): 6.2, 7.0, 7.2, 7.4, 8.0"), "\(show.stdout)")
        #expect(show.stdout.contains("install.d (in the root): packages redis-server"))
        let valkey = try DibkitBinary.run(["elements", "show", "valkey"])
        #expect(valkey.stdout.contains("  trixie (default): 8.1 (valkey-server)\n"), "\(valkey.stdout)")
        #expect(!valkey.stdout.contains("bookworm:") && valkey.stdout.contains("port [default: 6379]"))
        let postgresql = try DibkitBinary.run(["elements", "show", "postgresql"])
        #expect(postgresql.stdout.contains("allowed_networks [default: [0.0.0.0/0, ::/0]]"), "\(postgresql.stdout)")
        #expect(postgresql.stdout.contains("  trixie (default): 17 (postgresql-17)\n  bookworm: 15 (postgresql-15)"))
        let missing = try DibkitBinary.run(["elements", "show", "nope"])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("elements that exist: backup, cloud-init, debian"))
    }

    @Test("build --plan prints the resolved plan and builds nothing; --json gives it as JSON; -v picks the release")
    func plan() throws {
        let folder = try TemporaryFolder()
        let text = try DibkitBinary.run(["build", "redis", "--plan", "-o", folder.url.path + "/redis"])
        #expect(text.status == 0, "\(text.stderr)")
        for line in ["base: debian (mmdebstrap minbase + ", "release: trixie (amd64)", "database: redis 8.0 (distro: redis-server)",
                     "elements, in order:\n  debian: ", "  post-install.d (in the root)\n", "hooks: ", "redis/40-redis-config"] {
            #expect(text.stdout.contains(line), "\(line) missing from \(text.stdout)")
        }
        let json = try DibkitBinary.run(["build", "postgresql", "-v", "15", "--plan", "--json", "-o", folder.url.path + "/pg"])
        #expect(json.status == 0, "\(json.stderr)")
        let plan = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        #expect(plan?["release"] as? String == "bookworm")
        #expect((plan?["database"] as? [String: Any])?["packages"] as? [String] == ["postgresql-15"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.url.path).isEmpty, "--plan builds nothing")

        let refused = try DibkitBinary.run(["build", "postgresql", "-v", "15", "--release", "trixie", "--plan"])
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("postgresql 15 is not in Debian trixie: it is in bookworm. Build it with --release bookworm"),
                "\(refused.stderr)")
        let noValkey = try DibkitBinary.run(["build", "valkey", "--release", "bookworm", "--plan"])
        #expect(noValkey.status == 2)
        #expect(noValkey.stderr.contains("valkey has no version for Debian bookworm; its versions per release: trixie: 8.1"),
                "\(noValkey.stderr)")
    }

    @Test("Ctrl-C during a build exits 130 and leaves no image, temp dir, mount or process", .tags(.endToEnd))
    func interruptCleansUp() async throws {
        let folder = URL(fileURLWithPath: "/var/tmp/dibkit-sigint-\(UUID().uuidString.prefix(8))")
        let temporary = folder.appendingPathComponent("tmp")
        try FileManager.default.createDirectory(at: temporary, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let stderr = folder.appendingPathComponent("stderr.log")
        let process = try DibkitBinary.start(
            // --no-incremental: from a cached installed tree no install.d runs and the build is over in seconds.
            ["build", "redis", "--no-incremental", "-o", folder.appendingPathComponent("out").path],
            environment: ["TMPDIR": temporary.path], workingDirectory: folder, stderr: stderr)
        // Interrupt once the element phases run inside the root (namespaces and mounts exist then).
        let deadline = Date().addingTimeInterval(600)
        while Date() < deadline, process.isRunning {
            let log = (try? String(contentsOf: stderr, encoding: .utf8)) ?? ""
            if log.contains("▸ install.d") { break }
            try await Task.sleep(for: .milliseconds(200))
        }
        try #require(process.isRunning, "the build ended before it could be interrupted")
        try await Task.sleep(for: .seconds(2))
        kill(process.processIdentifier, SIGINT)
        let stopBy = Date().addingTimeInterval(60)
        while process.isRunning, Date() < stopBy { try await Task.sleep(for: .milliseconds(200)) }
        #expect(!process.isRunning, "dibkit must stop within a minute of Ctrl-C")
        if process.isRunning { process.terminate() }
        #expect(process.terminationStatus == 130)
        #expect(try FileManager.default.contentsOfDirectory(atPath: temporary.path).isEmpty)
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("out.qcow2").path))
        let mounts = try String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)
        #expect(!mounts.contains(temporary.path))
    }

    @Test("a build on a filesystem too small for it: exit 1 before anything is written, naming the folder, its free space and the need",
          .tags(.endToEnd), .enabled(if: SmallTmpfs.canMount, "mounting a tmpfs needs root"))
    func fullDiskDuringBuild() throws {
        // Cache, temporary folder and output on one small tmpfs. Started anyway, apt's package lists alone fill
        // it, and apt's `update` was seen to wait for ever after a method hit ENOSPC: the build must not start.
        let tmpfs = try SmallTmpfs(size: "16m")
        defer { tmpfs.remove() }
        let temporary = tmpfs.appendingPathComponent("tmp")
        try FileManager.default.createDirectory(at: temporary, withIntermediateDirectories: true)
        let result = try DibkitBinary.run(
            ["build", "redis", "--cache-dir", tmpfs.appendingPathComponent("cache").path,
             "-o", tmpfs.appendingPathComponent("images/redis").path],
            environment: ["TMPDIR": temporary.path])
        #expect(result.status == 1, "\(result.stderr)")
        #expect(result.stderr.contains("not enough space for the build: the filesystem holding \(temporary.path) has "), "\(result.stderr)")
        #expect(result.stderr.contains("free, and needs about 3.3 GiB for the root tree and its raw disk, the image, the base root and packages, the installed tree"), "\(result.stderr)")
        #expect(tmpfs.contents == ["tmp"], "\(tmpfs.contents)")
    }

    @Test("-p without -v is a usage error; a hostile tarball and a private key given as -k exit 2 naming what is wrong")
    func userFileErrors() throws {
        let folder = URL(fileURLWithPath: "/var/tmp/dibkit-cli-files-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let tarball = folder.appendingPathComponent("vendor.tgz")
        let made = Process()
        made.executableURL = URL(fileURLWithPath: "/bin/tar")
        made.arguments = ["-czPf", tarball.path, "/etc/hostname"]
        try made.run()
        made.waitUntilExit()
        try #require(made.terminationStatus == 0, "tar could not write the fixture")

        let noVersion = try DibkitBinary.run(["build", "redis", "-p", tarball.path])
        #expect(noVersion.status == 64)
        #expect(noVersion.stderr.contains("-p needs -v VERSION"))

        let hostile = try DibkitBinary.run(["build", "redis", "-v", "7.0", "-p", tarball.path, "--json"])
        #expect(hostile.status == 2)
        #expect(hostile.stderr.contains("refused entry '/etc/hostname': absolute path"), "\(hostile.stderr)")
        let payload = try JSONSerialization.jsonObject(with: Data(hostile.stdout.utf8)) as? [String: String]
        #expect(payload?["error"]?.contains(tarball.path) == true)

        let key = folder.appendingPathComponent("id_ed25519")
        let keygen = Process()
        keygen.executableURL = URL(fileURLWithPath: "/usr/bin/ssh-keygen")
        keygen.arguments = ["-q", "-t", "ed25519", "-N", "", "-f", key.path]
        try keygen.run()
        keygen.waitUntilExit()
        let privateKey = try DibkitBinary.run(["build", "redis", "-k", key.path])
        #expect(privateKey.status == 2)
        #expect(privateKey.stderr.contains("is a private key; pass the public one"), "\(privateKey.stderr)")
        #expect((try FileManager.default.contentsOfDirectory(atPath: folder.path)).sorted() == ["id_ed25519", "id_ed25519.pub", "vendor.tgz"])
    }

    @Test("vendor tarballs with symbolic links: top-level links are read, a chain out of the root exits 2 naming its entry; no crash")
    func vendorTarballLinks() throws {
        let folder = URL(fileURLWithPath: "/var/tmp/dibkit-cli-links-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let maker = Process()
        maker.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        maker.arguments = ["-c", """
            import io, sys, tarfile
            def tarball(path, entries):
                with tarfile.open(path, "w:gz") as t:
                    for name, kind, link in entries:
                        i = tarfile.TarInfo(name); i.type = kind; i.linkname = link
                        t.addfile(i, io.BytesIO(b"") if kind == tarfile.REGTYPE else None)
            tarball(sys.argv[1] + "/current.tgz", [("redis-7.2", tarfile.DIRTYPE, ""), ("current", tarfile.SYMTYPE, "redis-7.2"),
                                                   ("r", tarfile.SYMTYPE, "redis-7.2")])
            tarball(sys.argv[1] + "/chain.tgz", [("setup.sh", tarfile.REGTYPE, ""), ("d", tarfile.SYMTYPE, "."),
                                                 ("d/f", tarfile.SYMTYPE, ".."), ("d/f/evil", tarfile.REGTYPE, "")])
            """, folder.path]
        try maker.run()
        maker.waitUntilExit()
        try #require(maker.terminationStatus == 0, "python3 could not write the fixtures")

        let current = try DibkitBinary.run(["build", "redis", "-v", "7.0", "-p", folder.path + "/current.tgz"])
        #expect(current.status == 2)
        #expect(current.stderr.contains("has no setup.sh at its root"), "\(current.stderr)")

        let chain = try DibkitBinary.run(["build", "redis", "-v", "7.0", "-p", folder.path + "/chain.tgz"])
        #expect(chain.status == 2)
        #expect(chain.stderr.contains("refused entry 'd/f': symbolic link to '..' points outside"), "\(chain.stderr)")
        #expect((try FileManager.default.contentsOfDirectory(atPath: folder.path)).sorted() == ["chain.tgz", "current.tgz"])
    }
}
