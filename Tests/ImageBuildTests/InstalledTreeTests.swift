import Elements
import Foundation
@testable import ImageBuild
import Testing
import TestSupport

@Suite("The installed-tree cache: its key and its tar")
struct InstalledTreeTests {
    /// A copy of the built-in elements, which the tests change.
    let folder: TemporaryFolder
    let elements: URL

    init() throws {
        folder = try TemporaryFolder()
        elements = folder.appendingPathComponent("elements")
        let copy = try runCommand(["cp", "-a", try BuiltInElements.directory().path, elements.path])
        try #require(copy.status == 0, "\(copy.output)")
    }

    private func key(
        environment: [String: String] = ["IMAGE_NAME": "redis-dib", "DIBKIT_ROOT_UUID": UUID().uuidString, "DIB_RELEASE": "trixie"],
        releases: [(suite: String, sha256: String)] = [("trixie", "aa"), ("trixie-updates", "bb")],
        vendorPackageSHA256: String? = nil
    ) throws -> String {
        let inputs = try inputs(environment: environment, releases: releases, vendorPackageSHA256: vendorPackageSHA256)
        return try InstalledTree(inputs, cacheDirectory: folder.url).tarball.lastPathComponent
    }

    private func inputs(
        environment: [String: String] = [:], releases: [(suite: String, sha256: String)], vendorPackageSHA256: String? = nil
    ) throws -> InstalledTree.Inputs {
        let library = try ElementLibrary(searchPath: [elements])
        let plan = try BuildPlan.resolve(["debian", "redis"], in: library, variables: ["DIB_RELEASE": "trixie", "ARCH": "amd64", "DIBKIT_DB_SOURCE": "distro"], arch: "amd64")
        let recipe = BaseRoot.Recipe(
            release: "trixie", arch: "amd64", mirror: "http://mirror.example/debian", securityMirror: nil,
            variant: "minbase", components: ["main"], include: [])
        return .init(
            recipe: recipe, releases: releases, plan: plan, builtIn: elements, environment: environment,
            vendorPackageSHA256: vendorPackageSHA256)
    }

    private func append(_ line: String, to path: String) throws {
        let file = elements.appendingPathComponent(path)
        let handle = try FileHandle(forWritingTo: file)
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(line.utf8))
        try handle.close()
    }

    @Test("a change after install.d keeps the key: post-install.d hooks, static/ of elements without early hooks, READMEs, the image's name and root UUID, where the elements are")
    func laterChangesKeepTheKey() throws {
        let before = try key()
        try append("# a comment\n", to: "redis/post-install.d/40-redis-config")
        try append("# a comment\n", to: "redis/static/usr/lib/dibkit/firstboot.d/50-redis")
        try append("more\n", to: "vm/README.md")
        try append("# a comment\n", to: "vm/finalise.d/50-vm-bootloader")
        #expect(try key(environment: ["IMAGE_NAME": "other", "DIBKIT_ROOT_UUID": "x", "DIB_RELEASE": "trixie", "ELEMENTS_PATH": "/x"]) == before)
        #expect(try key(environment: ["IMAGE_NAME": "redis-dib", "DIB_RELEASE": "trixie", "DIBKIT_ACCEL": "tcg",
                                      "DIBKIT_CACHE_DIR": "/c", "DIBKIT_ELEMENTS_DIR": "/e", "DIBKIT_SOURCE": "ci"]) == before,
                "dibkit's own settings are not the image's inputs")
    }

    @Test("a change up to install.d, in the packages, the variables, the mirror or the vendor package makes a new key of the same lineage",
          arguments: ["hook", "package", "variable", "mirror", "vendor", "static"])
    func earlierChangesMakeANewKey(change: String) throws {
        let before = try key()
        var after: String
        switch change {
        case "hook":
            try append("# a comment\n", to: "vm/install.d/05-vm-locale-timezone")
            after = try key()
        case "package":
            try append("jq:\n", to: "redis/package-installs.yaml")
            after = try key()
        case "variable":
            after = try key(environment: ["IMAGE_NAME": "redis-dib", "DIB_RELEASE": "trixie", "DIB_FOO": "1"])
        case "mirror":
            after = try key(releases: [("trixie", "aa"), ("trixie-updates", "cc")])
        case "vendor":
            after = try key(vendorPackageSHA256: "ff")
        default:
            // An element with a phase folder up to install.d: its static/ counts.
            let file = elements.appendingPathComponent("redis/pre-install.d")
            try FileManager.default.createDirectory(at: file, withIntermediateDirectories: true)
            try append("# read by an early hook now\n", to: "redis/static/usr/lib/dibkit/firstboot.d/50-redis")
            after = try key()
        }
        #expect(after != before, "\(change)")
        // RELEASE-ARCH-LINEAGE-KEY.tar: the same lineage, another key.
        #expect(after.dropLast(21) == before.dropLast(21))
    }

    @Test("elements from elsewhere: their static/ counts though they have no early hook; one with early hooks keeps the build off the cache")
    func foreignElements() throws {
        let site = folder.appendingPathComponent("site")
        for path in ["late/static/etc", "late/post-install.d", "early/install.d"] {
            try FileManager.default.createDirectory(at: site.appendingPathComponent(path), withIntermediateDirectories: true)
        }
        try Data("a\n".utf8).write(to: site.appendingPathComponent("late/static/etc/late.conf"))
        try Data("#!/bin/sh\n".utf8).write(to: site.appendingPathComponent("early/install.d/10-early"))
        let library = try ElementLibrary(searchPath: [site, elements])
        let variables = ["DIB_RELEASE": "trixie", "ARCH": "amd64", "DIBKIT_DB_SOURCE": "distro"]
        func key() throws -> String {
            let plan = try BuildPlan.resolve(["debian", "redis", "late"], in: library, variables: variables, arch: "amd64")
            let recipe = BaseRoot.Recipe(
                release: "trixie", arch: "amd64", mirror: "http://mirror.example/debian", securityMirror: nil,
                variant: "minbase", components: ["main"], include: [])
            let inputs = InstalledTree.Inputs(
                recipe: recipe, releases: [], plan: plan, builtIn: elements, environment: [:], vendorPackageSHA256: nil)
            return try InstalledTree(inputs, cacheDirectory: folder.url).tarball.lastPathComponent
        }
        let before = try key()
        try Data("b\n".utf8).write(to: site.appendingPathComponent("late/static/etc/late.conf"))
        #expect(try key() != before, "DIB's install-static copies any element's static/ from install.d")

        let plan = try BuildPlan.resolve(["debian", "redis", "late", "early"], in: library, variables: variables, arch: "amd64")
        #expect(InstalledTree.foreignEarlyHooks(in: plan, builtIn: elements) == ["early"])
        #expect(InstalledTree.foreignEarlyHooks(in: plan, builtIn: site).contains("vm"), "vm has install.d hooks")
    }

    @Test("no built-in hook up to install.d reads a variable left out of the key")
    func unkeyedVariablesStayLate() throws {
        let directory = try BuiltInElements.directory()
        for element in try FileManager.default.contentsOfDirectory(atPath: directory.path) {
            for phase in InstalledTree.earlyPhases {
                let hooks = directory.appendingPathComponent(element).appendingPathComponent(phase.rawValue)
                for hook in (try? FileManager.default.contentsOfDirectory(atPath: hooks.path)) ?? [] {
                    let text = try String(contentsOf: hooks.appendingPathComponent(hook), encoding: .utf8)
                    for variable in InstalledTree.unkeyedVariables {
                        #expect(!text.contains(variable), "\(element)/\(phase.rawValue)/\(hook) reads \(variable)")
                    }
                }
            }
        }
    }

    @Test("saved and restored: owners, modes, links, extended attributes and times kept; excluded paths left out; older trees of the lineage removed")
    func saveAndRestore() async throws {
        let root = folder.appendingPathComponent("root")
        let bin = root.appendingPathComponent("usr/bin")
        try FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
        let tool = bin.appendingPathComponent("ping")
        try Data("#!/bin/sh\n".utf8).write(to: tool)
        #expect(chown(tool.path, 999, 998) == 0 && chmod(tool.path, 0o4750) == 0)
        #expect(try runCommand(["python3", "-c", "import os, sys; os.setxattr(sys.argv[1], 'user.dibkit', b'kept')", tool.path]).status == 0)
        try FileManager.default.createSymbolicLink(atPath: bin.appendingPathComponent("link").path, withDestinationPath: "ping")
        try FileManager.default.createDirectory(at: root.appendingPathComponent("etc/apt/auth.conf.d"), withIntermediateDirectories: true)
        try Data("machine m login u password p\n".utf8).write(to: root.appendingPathComponent(MirrorLogin.authFile))
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSince1970: 1_700_000_000)], ofItemAtPath: tool.path)

        let older = try InstalledTree(try inputs(releases: [("trixie", "old")]), cacheDirectory: folder.url)
        try await older.save(root, excluding: [MirrorLogin.authFile])
        let tree = try InstalledTree(try inputs(releases: [("trixie", "new")]), cacheDirectory: folder.url)
        try await tree.save(root, excluding: [MirrorLogin.authFile])
        #expect(!FileManager.default.fileExists(atPath: older.tarball.path), "the older tree of the lineage is removed")
        #expect(FileManager.default.fileExists(atPath: tree.tarball.path + ".sha256"))

        let restored = folder.appendingPathComponent("restored")
        #expect(try await tree.restore(into: restored) { Issue.record("unexpected note: \($0)") })
        let copy = restored.appendingPathComponent("usr/bin/ping")
        var status = stat()
        #expect(stat(copy.path, &status) == 0)
        #expect(status.st_uid == 999 && status.st_gid == 998 && status.st_mode & 0o7777 == 0o4750)
        #expect(status.st_mtim.tv_sec == 1_700_000_000)
        let attribute = try runCommand(["python3", "-c", "import os, sys; print(os.getxattr(sys.argv[1], 'user.dibkit').decode())", copy.path])
        #expect(attribute.output == "kept\n", "\(attribute.output)")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: restored.appendingPathComponent("usr/bin/link").path) == "ping")
        #expect(!FileManager.default.fileExists(atPath: restored.appendingPathComponent(MirrorLogin.authFile).path))

        // A damaged tar is not used, and goes.
        let handle = try FileHandle(forWritingTo: tree.tarball)
        try handle.write(contentsOf: Data("x".utf8))
        try handle.close()
        var notes: [String] = []
        #expect(try await !tree.restore(into: folder.appendingPathComponent("again")) { notes.append($0) })
        #expect(notes.first?.contains("does not match its checksum") == true, "\(notes)")
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("again").path), "what was extracted goes")
        #expect(!FileManager.default.fileExists(atPath: tree.tarball.path))
    }
}
