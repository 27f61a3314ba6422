extension ImageDifference {
    /// The differences for a person, a section per part that differs (`packages:`, `/etc:`, `services:`,
    /// `firewall:`), a line per difference: `+` what only the second image has, `-` what only the first has,
    /// `~` what both have in other forms, e.g. `  ~ redis-server 5:8.0.2-3 → 5:8.0.3-1`. Empty when none.
    public var lines: [String] {
        section("packages", packageLines) + section("/etc", etcLines) + section("services", serviceLines)
            + section("firewall", firewallLines)
    }

    private func section(_ title: String, _ lines: [String]) -> [String] {
        lines.isEmpty ? [] : ["\(title):"] + lines.map { "  \($0)" }
    }

    private var packageLines: [String] {
        packages.added.map { "+ \($0.name) \($0.version)" } + packages.removed.map { "- \($0.name) \($0.version)" }
            + packages.changed.map { "~ \($0.name) \($0.from) → \($0.to)" }
    }

    private var etcLines: [String] {
        etc.added.map { "+ \($0)" } + etc.removed.map { "- \($0)" }
            + etc.changed.map { "~ \($0.path) (\($0.parts.joined(separator: "; ")))" }
    }

    private var serviceLines: [String] {
        let links = (services.enabled.map { ($0, "+") } + services.disabled.map { ($0, "-") }).sorted { $0.0 < $1.0 }
        return links.map { link, sign in "\(sign) \(link.unit) (\(link.relation))" }
            + services.masked.map { "+ \($0) (masked)" } + services.unmasked.map { "- \($0) (masked)" }
    }

    private var firewallLines: [String] {
        (firewall.policy.map { ["~ input policy \($0.from) → \($0.to)"] } ?? [])
            + firewall.opened.map { "+ \($0)" } + firewall.closed.map { "- \($0)" }
    }
}

extension EtcChange {
    /// What changed, e.g. `content`, `mode 0640 → 0600`, `owner root:root → redis:redis`, `file → symlink`,
    /// `target /a → /b`.
    var parts: [String] {
        var parts: [String] = []
        if let kind { parts.append("\(kind.from.rawValue) → \(kind.to.rawValue)") }
        if content != nil { parts.append("content") }
        if let target { parts.append("target \(target.from) → \(target.to)") }
        if let mode { parts.append("mode \(mode.from) → \(mode.to)") }
        if let owner { parts.append("owner \(owner.from) → \(owner.to)") }
        return parts
    }
}
