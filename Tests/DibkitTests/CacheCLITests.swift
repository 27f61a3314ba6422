import Foundation
import TestSupport
import Testing

/// `dibkit cache list|prune` through the binary, on a cache folder made by the test.
@Suite("dibkit cache")
struct CacheCLITests {
    @Test("list shows base roots and packages; prune --older-than 30d removes only the old ones; a bad age is a usage error")
    func listAndPrune() throws {
        let cache = try TemporaryFolder()
        let old = Date().addingTimeInterval(-40 * 86400)
        for (path, modified) in [("base/trixie-amd64-0123.tar", Date()), ("base/bookworm-amd64-4567.tar", old),
                                 ("apt/trixie-amd64/archives/redis.deb", old)] {
            let url = cache.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(count: 2048).write(to: url)
            try FileManager.default.setAttributes([.modificationDate: modified], ofItemAtPath: url.path)
        }
        let list = try DibkitBinary.run(["cache", "list", "--cache-dir", cache.url.path])
        #expect(list.status == 0, "\(list.stderr)")
        #expect(list.stdout.contains("base-root\t2 KiB\t40 d\t\(cache.url.path)/base/bookworm-amd64-4567.tar"), "\(list.stdout)")
        #expect(list.stdout.contains("packages\t2 KiB\t40 d\t\(cache.url.path)/apt/trixie-amd64/archives"), "\(list.stdout)")
        #expect(list.stdout.hasSuffix("total\t6 KiB\n"), "\(list.stdout)")

        let prune = try DibkitBinary.run(["cache", "prune", "--older-than", "30d", "--cache-dir", cache.url.path, "--json"])
        #expect(prune.status == 0, "\(prune.stderr)")
        let removed = try JSONSerialization.jsonObject(with: Data(prune.stdout.utf8)) as? [[String: Any]]
        #expect(removed?.compactMap { $0["path"] as? String }.map { URL(fileURLWithPath: $0).lastPathComponent }
            == ["bookworm-amd64-4567.tar", "archives"])
        let left = try DibkitBinary.run(["cache", "list", "--cache-dir", cache.url.path, "--json"])
        let entries = try JSONSerialization.jsonObject(with: Data(left.stdout.utf8)) as? [[String: Any]]
        #expect(entries?.compactMap { $0["kind"] as? String } == ["base-root"])

        let bad = try DibkitBinary.run(["cache", "prune", "--older-than", "a month", "--cache-dir", cache.url.path])
        #expect(bad.status == 64, "a usage error, as every option dibkit cannot read")
        #expect(bad.stderr.contains("--older-than 'a month' is not a duration such as 90s, 60m, 2h or 30d"), "\(bad.stderr)")
    }
}
