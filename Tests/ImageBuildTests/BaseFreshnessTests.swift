import Foundation
@testable import ImageBuild
import Reporting
import TestSupport
import Testing

/// A cached base root that stays current: upgraded to the mirror by every build, bootstrapped again on
/// `--refresh`; the mirror's state in the manifest; the cache listed and pruned.
@Suite("Base root freshness, the mirror's state, the cache")
struct BaseFreshnessTests {
    static let recipe = BaseRoot.Recipe(
        release: "trixie", arch: "amd64", mirror: "http://user:pw@mirror.invalid/debian/",
        securityMirror: "http://security.invalid/debian-security", variant: "minbase", components: ["main"], include: [])

    @Test("--refresh bootstraps again though the cache holds the base, says so, and replaces the cached tar")
    func refresh() async throws {
        let folder = try TemporaryFolder()
        let generation = Recorder<Int>()
        let base = BaseRoot(recipe: Self.recipe, cacheDirectory: folder.appendingPathComponent("cache")) { _, tar, _, _ in
            generation.append(generation.all.count + 1)
            let source = folder.appendingPathComponent("source-\(generation.all.count)")
            try FileManager.default.createDirectory(at: source, withIntermediateDirectories: true)
            try Data("generation \(generation.all.count)\n".utf8).write(to: source.appendingPathComponent("hello"))
            try shell("tar -cf '\(tar.path)' -C '\(source.path)' .")
        }
        func materialize(_ name: String, refresh: Bool) async throws -> (cached: Bool, notes: [String], hello: String) {
            var notes: [String] = []
            let root = folder.appendingPathComponent(name)
            let cached = try await base.materialize(
                into: root, scratch: folder.appendingPathComponent("scratch"), refresh: refresh, log: { _ in }) { notes.append($0) }
            return (cached, notes, try String(contentsOf: root.appendingPathComponent("hello"), encoding: .utf8))
        }
        _ = try await materialize("first", refresh: false)
        let reused = try await materialize("reused", refresh: false)
        #expect(reused.cached && reused.hello == "generation 1\n")
        let refreshed = try await materialize("refreshed", refresh: true)
        #expect(!refreshed.cached && refreshed.hello == "generation 2\n")
        #expect(refreshed.notes == ["--refresh: bootstrapping the base root again; the new one replaces \(base.tarball.path)"])
        let after = try await materialize("after", refresh: false)
        #expect(after.cached && after.hello == "generation 2\n", "the refreshed base is the cached one now")
    }

    @Test("the mirror's Release dates come from apt's lists: this mirror's suites only, logins and schemes ignored")
    func mirrorReleases() throws {
        let lists = try TemporaryFolder()
        func release(_ name: String, suite: String, codename: String, date: String, signed: Bool = true) throws {
            let body = "Origin: Debian\nLabel: Debian\nSuite: \(suite)\nCodename: \(codename)\nDate: \(date)\n"
                + "SHA256:\n 0123 456 main/binary-amd64/Packages\n"
            let text = signed ? "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA512\n\n" + body
                + "-----BEGIN PGP SIGNATURE-----\n\nabc\n-----END PGP SIGNATURE-----\n" : body
            try Data(text.utf8).write(to: lists.appendingPathComponent(name))
        }
        try release("mirror.invalid_debian_dists_trixie_InRelease", suite: "stable", codename: "trixie",
                    date: "Sat, 15 Nov 2026 09:12:40 UTC")
        try release("mirror.invalid_debian_dists_trixie-updates_InRelease", suite: "stable-updates",
                    codename: "trixie-updates", date: "Fri, 04 Dec 2026 20:15:01 UTC")
        try release("security.invalid_debian-security_dists_trixie-security_Release", suite: "stable-security",
                    codename: "trixie-security", date: "Sat, 05 Dec 2026 11:00:00 UTC", signed: false)
        try release("other.invalid_debian_dists_trixie_InRelease", suite: "stable", codename: "trixie", date: "Mon, 01 Jan 2024 00:00:00 UTC")
        try release("mirror.invalid_debian_dists_bookworm_InRelease", suite: "oldstable", codename: "bookworm", date: "Sat, 08 Nov 2026 10:00:00 UTC")
        try Data("Package: x\n".utf8).write(to: lists.appendingPathComponent("mirror.invalid_debian_dists_trixie_main_binary-amd64_Packages"))
        let recipe = Self.recipe
        let read = MirrorReleases.read(lists: lists.url, mirrors: recipe.suites.map(\.mirror), suites: recipe.suites.map(\.suite))
        #expect(read == [
            .init(suite: "trixie", date: "Sat, 15 Nov 2026 09:12:40 UTC"),
            .init(suite: "trixie-updates", date: "Fri, 04 Dec 2026 20:15:01 UTC"),
            .init(suite: "trixie-security", date: "Sat, 05 Dec 2026 11:00:00 UTC"),
        ])
        #expect(MirrorReleases.listsFileName(of: "https://u:p@host:8080/a_b/c/") == "host:8080_a%5fb_c")
    }

    @Test("apt's summary line gives how many packages the upgrade changed")
    func upgradeCount() {
        let output = "Reading package lists...\nCalculating upgrade...\n3 upgraded, 1 newly installed, 0 to remove and 0 not upgraded.\n"
        #expect(PhaseRunner.changedPackages(in: output) == 4)
        #expect(PhaseRunner.changedPackages(in: "0 upgraded, 0 newly installed, 0 to remove and 0 not upgraded.") == 0)
        #expect(PhaseRunner.changedPackages(in: "") == 0)
    }

    @Test("the cache lists base roots, installed trees, packages, lists and logs; prune --older-than removes only what is older")
    func cacheListAndPrune() async throws {
        let folder = try TemporaryFolder()
        let cache = folder.url
        let old = Date().addingTimeInterval(-40 * 86400)
        func file(_ path: String, bytes: Int, modified: Date = Date()) throws {
            let url = cache.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(count: bytes).write(to: url)
            try FileManager.default.setAttributes([.modificationDate: modified], ofItemAtPath: url.path)
        }
        try file("base/bookworm-amd64-aaaa.tar", bytes: 1000, modified: old)
        try file("base/bookworm-amd64-aaaa.tar.sha256", bytes: 10, modified: old)
        try file("base/trixie-amd64-bbbb.tar", bytes: 2000)
        try file("base/trixie-amd64-bbbb.tar.sha256", bytes: 10)
        try file("installed/trixie-amd64-dddd-eeee.tar", bytes: 3000, modified: old)
        try file("installed/trixie-amd64-dddd-eeee.tar.sha256", bytes: 10, modified: old)
        try file("apt/trixie-amd64/archives/redis_8.0_amd64.deb", bytes: 300, modified: old)
        try file("apt/trixie-amd64/archives/valkey_8.1_amd64.deb", bytes: 400)
        try FileManager.default.createDirectory(at: cache.appendingPathComponent("apt/trixie-amd64/archives/partial"), withIntermediateDirectories: true)
        try file("apt/trixie-amd64/lists/x_dists_trixie_InRelease", bytes: 50)
        try file("archive/trixie-amd64-cccc.tsv", bytes: 60)
        try file("logs/redis-dib-2026-10-01.log", bytes: 70, modified: old)
        let store = BuildCache(folder: cache)
        let listed = store.list()
        #expect(listed.map(\.kind) == [.baseRoot, .baseRoot, .installedTree, .packages, .packageLists, .packageIndex, .log])
        #expect(listed.map(\.bytes) == [1010, 2010, 3010, 700, 50, 60, 70])
        #expect(listed[3].files == 2)

        let removed = try await store.prune(changedBefore: Date().addingTimeInterval(-30 * 86400)) { _ in }
        #expect(removed.map(\.path) == [
            cache.appendingPathComponent("base/bookworm-amd64-aaaa.tar").path,
            cache.appendingPathComponent("installed/trixie-amd64-dddd-eeee.tar").path,
            cache.appendingPathComponent("apt/trixie-amd64/archives").path,
            cache.appendingPathComponent("logs/redis-dib-2026-10-01.log").path,
        ])
        #expect(removed[2].files == 1 && removed[2].bytes == 300)
        #expect(!FileManager.default.fileExists(atPath: cache.appendingPathComponent("installed/trixie-amd64-dddd-eeee.tar.sha256").path))
        #expect(store.list().map(\.bytes) == [2010, 400, 50, 60])

        _ = try await store.prune(changedBefore: nil) { _ in }
        #expect(store.list().isEmpty)
        #expect(FileManager.default.fileExists(atPath: cache.appendingPathComponent("build.lock").path), "the lock stays")
    }
}
