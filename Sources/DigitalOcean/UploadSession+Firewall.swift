extension UploadSession {
    typealias Firewall = DigitalOceanModels.Firewall

    /// Creates the firewall named for the tag, or updates it: inbound TCP to ssh and the database ports from
    /// the given sources only (other inbound rules are replaced); its outbound rules, droplets and other
    /// tags are kept. A new firewall allows all outbound traffic, as DigitalOcean's control panel does
    /// (a firewall without outbound rules blocks apt and DNS).
    func applyFirewall(_ wanted: FirewallRequest) async throws -> DigitalOceanUploadResult.Firewall {
        try await api.createTag(wanted.tag)
        let ports = [22] + wanted.ports.filter { $0 != 22 }.reduce(into: [Int]()) { if !$0.contains($1) { $0.append($1) } }
        let inbound = ports.map {
            DigitalOceanModels.Rule(protocol: "tcp", ports: "\($0)", sources: .init(addresses: wanted.sources))
        }
        let existing = try await api.firewalls().first { $0.name == wanted.name }
        let saved: Firewall
        if let existing, let id = existing.id {
            var updated = existing
            updated.inboundRules = inbound
            updated.tags = (existing.tags ?? []).contains(wanted.tag) ? existing.tags : (existing.tags ?? []) + [wanted.tag]
            saved = try await api.updateFirewall(id: id, updated)
        } else {
            saved = try await api.createFirewall(Firewall(
                name: wanted.name, inboundRules: inbound, outboundRules: Self.allOutbound, tags: [wanted.tag]))
        }
        return .init(id: saved.id ?? "", name: wanted.name, tag: wanted.tag, ports: ports, sources: wanted.sources,
                     action: existing == nil ? "created" : "updated")
    }

    private static var allOutbound: [DigitalOceanModels.Rule] {
        let everywhere = DigitalOceanModels.Targets(addresses: ["0.0.0.0/0", "::/0"])
        return ["tcp", "udp", "icmp"].map { DigitalOceanModels.Rule(protocol: $0, ports: "0", destinations: everywhere) }
    }
}
