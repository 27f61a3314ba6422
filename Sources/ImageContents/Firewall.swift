/// What an image's firewall lets in, as configured in the image: the nftables rules `nftables.service` loads
/// at boot from `/etc/nftables.conf` and the files it includes (dibkit's `firewall` element: ssh there, each
/// database's port in `/etc/nftables.d/NAME.nft`). A port opened at first boot from user-data is not in
/// the image, so not here; nor are rules in chains that an input chain jumps to, or verdict maps.
public struct Firewall: Sendable, Codable, Equatable {
    /// The input chains' policy (`drop`, `accept`; several different ones joined by `, `): `accept` when no
    /// chain filters input, `none` when the image has no `/etc/nftables.conf`.
    public var inputPolicy: String
    /// The ports some rule of an input chain accepts, sorted.
    public var openPorts: [OpenPort]

    public init(inputPolicy: String, openPorts: [OpenPort]) {
        self.inputPolicy = inputPolicy
        self.openPorts = openPorts
    }

    /// The firewall `/etc/nftables.conf` configures.
    /// - Parameter etc: contents of the image's files under /etc by absolute path (those `include` can name).
    init(etc: [String: String]) {
        guard etc["/etc/nftables.conf"] != nil else {
            self.init(inputPolicy: "none", openPorts: [])
            return
        }
        let rules = NftablesRuleSet(entry: "/etc/nftables.conf", files: etc)
        let input = rules.inputChains
        let policies = Set(input.map { rules.policies[$0] ?? "accept" })
        let ports = rules.rules.filter { input.contains($0.chain) }.flatMap { OpenPort.accepted(by: $0.elements) }
        self.init(inputPolicy: policies.isEmpty ? "accept" : policies.sorted().joined(separator: ", "), openPorts: Set(ports).sorted())
    }
}

/// A port a firewall rule accepts, e.g. TCP 5432 from `ip saddr { 10.0.0.0/8 }`.
public struct OpenPort: Sendable, Codable, Hashable, Comparable, CustomStringConvertible {
    /// `tcp`, `udp`, `sctp`…
    public var transport: String
    /// A number, a range (`8000-8100`) or a service name, as the rule gives it.
    public var port: String
    /// The rule's other matches, e.g. `ip saddr { 10.0.0.0/8 }` or `udp sport 67`; empty: from anywhere.
    public var condition: String

    public init(transport: String, port: String, condition: String = "") {
        self.transport = transport
        self.port = port
        self.condition = condition
    }

    /// `tcp 5432`, with ` if ip saddr { 10.0.0.0/8 }` when the rule has other matches.
    public var description: String {
        "\(transport) \(port)" + (condition.isEmpty ? "" : " if \(condition)")
    }

    public static func < (left: OpenPort, right: OpenPort) -> Bool {
        func number(_ port: String) -> Int { Int(port.prefix { $0.isNumber }) ?? Int.max }
        return (left.transport, number(left.port), left.port, left.condition)
            < (right.transport, number(right.port), right.port, right.condition)
    }

    /// The ports a rule opens: a rule with the verdict `accept` and a `tcp dport` (`udp`, `sctp`, `dccp`,
    /// `udplite`; `th dport` with `meta l4proto`) match; one for each port of a set. Counters are not matches.
    static func accepted(by rule: [NftablesSyntax.Element]) -> [OpenPort] {
        guard let verdict = rule.firstIndex(of: .word("accept")) else { return [] }
        var matches = Array(rule[..<verdict])
        if let counter = matches.firstIndex(of: .word("counter")) {
            let hasValues = counter + 4 < matches.count && matches[counter + 1] == .word("packets")
            matches.removeSubrange(counter...(hasValues ? counter + 4 : counter))
        }
        let transports = ["tcp", "udp", "sctp", "dccp", "udplite", "th"].map { NftablesSyntax.Element.word($0) }
        guard let match = matches.indices.first(where: {
            $0 + 2 < matches.count && transports.contains(matches[$0]) && matches[$0 + 1] == .word("dport")
        }) else { return [] }
        var names = values(matches[match])
        let ports = values(matches[match + 2])
        matches.removeSubrange(match...(match + 2))
        if names == ["th"], let l4 = matches.indices.first(where: {
            $0 + 2 < matches.count && matches[$0] == .word("meta") && matches[$0 + 1] == .word("l4proto")
        }) {
            names = values(matches[l4 + 2])
            matches.removeSubrange(l4...(l4 + 2))
        }
        let condition = NftablesSyntax.text(matches)
        return names.flatMap { name in ports.map { OpenPort(transport: name, port: $0, condition: condition) } }
    }

    /// A word's text, or each item of a set.
    private static func values(_ element: NftablesSyntax.Element) -> [String] {
        if case .set(let items) = element { return items.map(NftablesSyntax.text) }
        return [element.text]
    }
}
