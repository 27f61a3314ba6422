import Foundation
import TestSupport
import Testing

@Suite("diff: the binary's output and exit codes, as diff(1)'s", .serialized)
struct DiffCLITests {
    @Test("two images that differ: exit 1, the differences by section on stdout, progress and a count on stderr; libguestfs's temp folder (the read-only overlays) and socket folder gone")
    func differ() throws {
        let fixture = try DiffFixture()
        defer { fixture.remove() }
        let temporary = fixture.folder.appendingPathComponent("tmp")
        try FileManager.default.createDirectory(at: temporary, withIntermediateDirectories: true)
        // libguestfs makes root's socket folder in /tmp whatever TMPDIR says; guestfs_close removes it.
        let sockets = { Set(((try? FileManager.default.contentsOfDirectory(atPath: "/tmp")) ?? []).filter { $0.hasPrefix("libguestfs") }) }
        let before = sockets()
        let result = try DibkitBinary.run(
            ["diff", fixture.before.path, fixture.after.path], environment: ["TMPDIR": temporary.path, "LIBGUESTFS_CACHEDIR": "/var/tmp"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: temporary.path) == [], "the handle was closed")
        #expect(sockets().subtracting(before).isEmpty, "left in /tmp: \(sockets().subtracting(before))")
        #expect(result.status == 1, "\(result.stderr)")
        #expect(result.stdout == """
            packages:
              + jq 1.7.1-6
              ~ redis-server 5:8.0.2-3 → 5:8.0.3-1
            /etc:
              + /etc/systemd/system/multi-user.target.wants/redis-sentinel.service
              - /etc/systemd/system/multi-user.target.wants/redis-server.service
              ~ /etc/nftables.d/redis.nft (content)
              ~ /etc/redis/redis.conf (content; mode 0640 → 0600; owner redis:redis → root:redis)
            services:
              + redis-sentinel.service (wanted by multi-user.target)
              - redis-server.service (wanted by multi-user.target)
            firewall:
              + tcp 6379 if ip saddr { 10.0.0.0/8 }
              - tcp 6379

            """)
        #expect(result.stderr.contains("✓ launch"), "\(result.stderr)")
        #expect(result.stderr.hasSuffix("10 differences\n"), "\(result.stderr)")
    }

    @Test("an image compared with itself, with --json: exit 0, one object with both roots and empty lists, nothing on stderr")
    func same() throws {
        let fixture = try DiffFixture()
        defer { fixture.remove() }
        let result = try DibkitBinary.run(["diff", fixture.after.path, fixture.after.path, "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.isEmpty, "\(result.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(report.keys.sorted() == ["differences", "first", "second"])
        #expect((report["second"] as? [String: String]) == ["path": fixture.after.path, "format": "raw", "rootDevice": "/dev/sdb1"])
        let differences = try #require(report["differences"] as? [String: [String: Any]])
        #expect(differences.keys.sorted() == ["etc", "firewall", "packages", "services"])
        for (part, lists) in differences {
            for (name, list) in lists { #expect((list as? [Any])?.isEmpty == true, "\(part).\(name)") }
        }
    }

    @Test("a missing image: exit 2 naming it, before any appliance starts; with --json, one error object")
    func missing() throws {
        let result = try DibkitBinary.run(["diff", "/nonexistent/a.qcow2", "/nonexistent/b.qcow2"])
        #expect(result.status == 2)
        #expect(result.stdout.isEmpty)
        #expect(result.stderr.contains("error: cannot read /nonexistent/a.qcow2 as an image: "), "\(result.stderr)")
        let json = try DibkitBinary.run(["diff", "/nonexistent/a.qcow2", "/nonexistent/b.qcow2", "--json"])
        #expect(json.status == 2)
        let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: String]
        #expect(object?.keys.sorted() == ["error"])
    }

    @Test("an appliance that cannot start is trouble: exit 2, never 1, which says the images differ")
    func trouble() throws {
        let fixture = try DiffFixture()
        defer { fixture.remove() }
        let result = try DibkitBinary.run(
            ["diff", fixture.before.path, fixture.after.path], environment: ["LIBGUESTFS_HV": "/bin/false", "DIBKIT_ACCEL": "tcg"])
        #expect(result.status == 2)
        #expect(result.stdout.isEmpty)
        #expect(result.stderr.contains("error: libguestfs guestfs_launch failed: /bin/false exited"), "\(result.stderr)")
    }

    @Test("one image only is a usage error")
    func usage() throws {
        let result = try DibkitBinary.run(["diff", "/nonexistent/a.qcow2"])
        #expect(result.status == 64)
        #expect(result.stderr.contains("Missing expected argument '<image2>'"), "\(result.stderr)")
    }
}
