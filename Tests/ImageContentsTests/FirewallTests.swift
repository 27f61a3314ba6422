import Foundation
@testable import ImageContents
import TestSupport
import Testing

@Suite("Firewall: the ports an image's nftables configuration accepts on input")
struct FirewallTests {
    /// dibkit's own ruleset, as the firewall element installs it at /etc/nftables.conf.
    static let dibkitRuleset = (try? String(
        contentsOf: DibkitBinary.repository.appendingPathComponent("elements/firewall/static/usr/share/dibkit/firewall/nftables.conf"),
        encoding: .utf8)) ?? ""

    @Test("dibkit's ruleset with a database element's file: ssh, DHCP replies and the database port; policy drop")
    func dibkitRuleset() throws {
        try #require(Self.dibkitRuleset.contains("include \"/etc/nftables.d/*.nft\""))
        let firewall = Firewall(etc: [
            "/etc/nftables.conf": Self.dibkitRuleset,
            "/etc/nftables.d/redis.nft": "# build-time default\nadd rule inet filter input tcp dport 6379 accept comment \"redis\"\n",
            "/etc/nftables.d/README": "not included: the glob wants .nft\n",
            "/etc/other.nft": "add rule inet filter input tcp dport 1 accept\n",
        ])
        #expect(firewall.inputPolicy == "drop")
        #expect(firewall.openPorts == [
            OpenPort(transport: "tcp", port: "22"),
            OpenPort(transport: "tcp", port: "6379"),
            OpenPort(transport: "udp", port: "68", condition: "udp sport 67"),
            OpenPort(transport: "udp", port: "546", condition: "udp sport 547"),
        ])
    }

    @Test("first boot's rules from allowed_networks: a port per set item, the source networks kept as the condition")
    func allowedNetworks() {
        let firewall = Firewall(etc: [
            "/etc/nftables.conf": Self.dibkitRuleset,
            "/etc/nftables.d/postgresql.nft": """
                # Written by dibkit-firstboot: the postgresql port(s), from 10.0.0.0/8, fd00::/8.
                add rule inet filter input ip saddr { 10.0.0.0/8 } tcp dport { 5432, 6432 } accept comment "postgresql"
                add rule inet filter input ip6 saddr { fd00::/8 } tcp dport { 5432, 6432 } accept comment "postgresql"
                """,
        ])
        #expect(firewall.openPorts.filter { $0.port != "22" && $0.transport == "tcp" } == [
            OpenPort(transport: "tcp", port: "5432", condition: "ip saddr { 10.0.0.0/8 }"),
            OpenPort(transport: "tcp", port: "5432", condition: "ip6 saddr { fd00::/8 }"),
            OpenPort(transport: "tcp", port: "6432", condition: "ip saddr { 10.0.0.0/8 }"),
            OpenPort(transport: "tcp", port: "6432", condition: "ip6 saddr { fd00::/8 }"),
        ])
        #expect(firewall.openPorts.first { $0.port == "5432" }?.description == "tcp 5432 if ip saddr { 10.0.0.0/8 }")
    }

    @Test("other syntax: defines, one-line chain blocks, add rule without family, th with l4proto, counters, ranges; drop rules and other hooks ignored")
    func otherSyntax() {
        let firewall = Firewall(etc: ["/etc/nftables.conf": #"""
            #!/usr/sbin/nft -f
            define WEB = { 80, 443 }
            table ip filter {
                chain in { type filter hook input priority 0; policy drop; }
                chain out { type filter hook output priority 0; }
            }
            add rule filter in tcp dport $WEB counter packets 0 bytes 0 accept
            add rule filter in meta l4proto { tcp, udp } th dport 53 accept
            add rule filter in udp dport 60000-61000 accept # mosh
            add rule filter in tcp dport 23 drop
            add rule filter out tcp dport 25 accept
            add rule filter in ct state { established, related } accept
            add rule filter in tcp dport 8080 \
                ip saddr 192.168.1.0/24 accept
            """#])
        #expect(firewall.inputPolicy == "drop")
        #expect(firewall.openPorts.map(\.description) == [
            "tcp 53", "tcp 80", "tcp 443", "tcp 8080 if ip saddr 192.168.1.0/24", "udp 53", "udp 60000-61000",
        ])
    }

    @Test("flush ruleset forgets what came before; no input chain means accept; no nftables.conf means none")
    func policies() {
        let flushed = Firewall(etc: ["/etc/nftables.conf": """
            table inet old { chain input { type filter hook input priority 0; policy drop; tcp dport 1 accept; } }
            flush ruleset
            table inet filter { chain input { type filter hook input priority 0; tcp dport 2 accept } }
            """])
        #expect(flushed == Firewall(inputPolicy: "accept", openPorts: [OpenPort(transport: "tcp", port: "2")]))
        #expect(Firewall(etc: ["/etc/nftables.conf": "flush ruleset\n"]) == Firewall(inputPolicy: "accept", openPorts: []))
        #expect(Firewall(etc: ["/etc/hostname": "db\n"]) == Firewall(inputPolicy: "none", openPorts: []))
    }

    @Test("an include that includes itself stops; a relative include is under /etc")
    func includes() {
        let firewall = Firewall(etc: [
            "/etc/nftables.conf": "table inet f { chain input { type filter hook input priority 0; policy drop; } }\ninclude \"loop.nft\"\n",
            "/etc/loop.nft": "add rule inet f input tcp dport 7 accept\ninclude \"/etc/loop.nft\"\n",
        ])
        #expect(firewall.openPorts == [OpenPort(transport: "tcp", port: "7")])
    }
}
