import Foundation
import ImageContents
import Testing

@Suite("ImageDifference: what differs from one snapshot to another, and how it reads")
struct ImageDifferenceTests {
    static func file(_ path: String, _ text: String, mode: UInt16 = 0o644, uid: Int64 = 0, gid: Int64 = 0) -> EtcFile {
        EtcFile(path: path, content: .regular(Data(text.utf8)), permissions: mode, uid: uid, gid: gid)
    }

    static func link(_ path: String, _ target: String) -> EtcFile {
        EtcFile(path: path, content: .symbolicLink(target: target), permissions: 0o777)
    }

    static let firewall = """
        table inet filter {
            chain input { type filter hook input priority filter; policy drop; tcp dport 22 accept; }
        }
        include "/etc/nftables.d/*.nft"
        """

    static func status(_ packages: [(String, String)]) -> String {
        packages.map { "Package: \($0.0)\nStatus: install ok installed\nVersion: \($0.1)\n" }.joined(separator: "\n")
    }

    static let before = ImageSnapshot(
        dpkgStatus: status([("redis-server", "5:8.0.2-3"), ("nftables", "1.1.3-1"), ("old-tool", "1.0")]),
        etc: [
            file("/etc/passwd", "root:x:0:0::/root:/bin/sh\nredis:x:100:101::/var/lib/redis:/bin/false\n"),
            file("/etc/group", "root:x:0:\nredis:x:101:\n"),
            file("/etc/hostname", "db\n"),
            file("/etc/redis/redis.conf", "port 6379\n", mode: 0o640, uid: 100, gid: 101),
            file("/etc/issue", "Debian\n"),
            link("/etc/resolv.conf", "/run/systemd/resolve/stub-resolv.conf"),
            file("/etc/nftables.conf", firewall),
            file("/etc/nftables.d/redis.nft", "add rule inet filter input tcp dport 6379 accept comment \"redis\"\n"),
            link("/etc/systemd/system/multi-user.target.wants/redis-server.service", "/usr/lib/systemd/system/redis-server.service"),
            link("/etc/systemd/system/old.service", "/dev/null"),
        ])

    static let after = ImageSnapshot(
        dpkgStatus: status([("redis-server", "5:8.0.3-1"), ("nftables", "1.1.3-1"), ("jq", "1.7.1-6")]),
        etc: [
            file("/etc/passwd", "root:x:0:0::/root:/bin/sh\nredis:x:100:101::/var/lib/redis:/bin/false\n"),
            file("/etc/group", "root:x:0:\nredis:x:101:\n"),
            file("/etc/motd", "welcome\n"),
            file("/etc/redis/redis.conf", "port 6380\n", mode: 0o600, uid: 0, gid: 101),
            file("/etc/issue", "Debian\n", mode: 0o600),
            link("/etc/resolv.conf", "/run/systemd/resolve/resolv.conf"),
            file("/etc/nftables.conf", firewall.replacingOccurrences(of: "policy drop", with: "policy accept")),
            file("/etc/nftables.d/redis.nft", "add rule inet filter input ip saddr { 10.0.0.0/8 } tcp dport 6379 accept\n"),
            link("/etc/systemd/system/multi-user.target.wants/redis-sentinel.service", "/usr/lib/systemd/system/redis-sentinel.service"),
            link("/etc/systemd/system/apt-daily.timer", "/dev/null"),
        ])

    @Test("every kind of difference, in sections, + for the second image's, - for the first's, ~ for both")
    func lines() {
        let difference = ImageDifference(from: Self.before, to: Self.after)
        #expect(difference.lines == [
            "packages:",
            "  + jq 1.7.1-6",
            "  - old-tool 1.0",
            "  ~ redis-server 5:8.0.2-3 → 5:8.0.3-1",
            "/etc:",
            "  + /etc/motd",
            "  + /etc/systemd/system/apt-daily.timer",
            "  + /etc/systemd/system/multi-user.target.wants/redis-sentinel.service",
            "  - /etc/hostname",
            "  - /etc/systemd/system/multi-user.target.wants/redis-server.service",
            "  - /etc/systemd/system/old.service",
            "  ~ /etc/issue (mode 0644 → 0600)",
            "  ~ /etc/nftables.conf (content)",
            "  ~ /etc/nftables.d/redis.nft (content)",
            "  ~ /etc/redis/redis.conf (content; mode 0640 → 0600; owner redis:redis → root:redis)",
            "  ~ /etc/resolv.conf (target /run/systemd/resolve/stub-resolv.conf → /run/systemd/resolve/resolv.conf)",
            "services:",
            "  + redis-sentinel.service (wanted by multi-user.target)",
            "  - redis-server.service (wanted by multi-user.target)",
            "  + apt-daily.timer (masked)",
            "  - old.service (masked)",
            "firewall:",
            "  ~ input policy drop → accept",
            "  + tcp 6379 if ip saddr { 10.0.0.0/8 }",
            "  - tcp 6379",
        ])
        #expect(difference.count == 21)
    }

    @Test("a snapshot compared with itself: no difference, no lines; the reverse comparison swaps + and -")
    func sameAndReversed() {
        let same = ImageDifference(from: Self.after, to: Self.after)
        #expect(same.isEmpty && same.lines.isEmpty)
        let reversed = ImageDifference(from: Self.after, to: Self.before)
        #expect(reversed.packages.added == [.init(name: "old-tool", version: "1.0")])
        #expect(reversed.services.disabled == [ServiceLink(unit: "redis-sentinel.service", folder: "multi-user.target.wants")])
        #expect(reversed.firewall.closed == [OpenPort(transport: "tcp", port: "6379", condition: "ip saddr { 10.0.0.0/8 }")])
    }

    @Test("a file that became a symlink says so, without content or mode")
    func kindChange() {
        let first = ImageSnapshot(dpkgStatus: nil, etc: [Self.file("/etc/resolv.conf", "nameserver 1.1.1.1\n")])
        let second = ImageSnapshot(dpkgStatus: nil, etc: [Self.link("/etc/resolv.conf", "/run/resolv.conf")])
        #expect(ImageDifference(from: first, to: second).lines == ["/etc:", "  ~ /etc/resolv.conf (file → symlink)"])
    }

    @Test("JSON: lists under their names; a change as from/to; what did not change left out")
    func json() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(ImageDifference(from: Self.before, to: Self.after))
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: [String: Any]])
        #expect(object.keys.sorted() == ["etc", "firewall", "packages", "services"])
        let changed = try #require(object["packages"]?["changed"] as? [[String: String]])
        #expect(changed == [["name": "redis-server", "from": "5:8.0.2-3", "to": "5:8.0.3-1"]])
        let issue = try #require((object["etc"]?["changed"] as? [[String: Any]])?.first { $0["path"] as? String == "/etc/issue" })
        #expect(issue.keys.sorted() == ["mode", "path"])
        #expect(issue["mode"] as? [String: String] == ["from": "0644", "to": "0600"])
        #expect(object["firewall"]?["policy"] as? [String: String] == ["from": "drop", "to": "accept"])
    }
}
