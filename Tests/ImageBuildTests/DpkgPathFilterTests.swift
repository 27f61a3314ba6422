import Foundation
import TestSupport
import Testing

@testable import ImageBuild

/// The path filters as mmdebstrap hooks: the setup hook writes dpkg's configuration, the extract hook deletes
/// what the rules exclude with dpkg's meaning (the last matching rule decides; `*` matches `/`).
@Suite("build: dpkg's path filters as bootstrap hooks")
struct DpkgPathFilterTests {
    static let rules = [
        "path-exclude=/usr/share/doc/*", "path-include=/usr/share/doc/*/copyright",
        "path-exclude=/usr/share/man/*", "path-exclude=/usr/share/locale/*",
        "path-include=/usr/share/locale/locale.alias",
    ]

    @Test("the hooks, run as mmdebstrap runs them, write the rules and leave only what dpkg would install")
    func hooksOnARoot() throws {
        let folder = try TemporaryFolder()
        let root = folder.appendingPathComponent("root")
        let kept = ["usr/bin/redis-server", "usr/share/doc/redis/copyright", "usr/share/doc/it's quoted/copyright",
                    "usr/share/locale/locale.alias", "usr/share/docs-elsewhere/README", "usr/share/man.conf"]
        let excluded = ["usr/share/doc/redis/changelog.gz", "usr/share/doc/redis/examples/redis.conf",
                        "usr/share/man/man1/redis-cli.1.gz", "usr/share/locale/de/LC_MESSAGES/apt.mo"]
        for path in kept + excluded {
            let file = root.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(path.utf8).write(to: file)
        }
        try FileManager.default.createSymbolicLink(
            atPath: root.appendingPathComponent("usr/share/doc/redis-tools").path, withDestinationPath: "redis")

        let hooks = DpkgPathFilter(rules: Self.rules).bootstrapHooks
        #expect(hooks.map { $0.prefix(while: { $0 != "=" }) } == ["--setup-hook", "--extract-hook"])
        for hook in hooks {
            let body = String(hook[hook.index(after: try #require(hook.firstIndex(of: "=")))...])
            let run = try runCommand(["sh", "-c", body, "exec", root.path])
            #expect(run.status == 0, "\(run.output)")
        }

        let configuration = root.appendingPathComponent(DpkgPathFilter.configurationFile)
        #expect(try String(contentsOf: configuration, encoding: .utf8) == Self.rules.joined(separator: "\n") + "\n")
        for path in kept {
            #expect(FileManager.default.fileExists(atPath: root.appendingPathComponent(path).path), "\(path) was deleted")
        }
        for path in excluded + ["usr/share/doc/redis-tools", "usr/share/doc/redis/examples", "usr/share/man/man1",
                                "usr/share/locale/de"] {
            #expect((try? FileManager.default.destinationOfSymbolicLink(atPath: root.appendingPathComponent(path).path)) == nil
                        && !FileManager.default.fileExists(atPath: root.appendingPathComponent(path).path), "\(path) was kept")
        }
        #expect(FileManager.default.fileExists(atPath: root.appendingPathComponent("usr/share/man").path),
                "the folder a rule's glob starts below stays, as dpkg keeps it")
    }

    @Test("no rules, no hooks")
    func noRules() {
        #expect(DpkgPathFilter(rules: []).bootstrapHooks.isEmpty)
    }
}
