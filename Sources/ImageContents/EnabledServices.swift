/// The systemd units an image enables or masks in `/etc/systemd/system`, as `systemctl enable` and
/// `systemctl mask` leave them: links, nothing run. Units a package links in `/usr/lib/systemd/system`
/// itself (static ones) are the package's, not listed here.
public struct EnabledServices: Sendable, Codable, Equatable {
    /// Each link that enables a unit: an entry of a `.wants` or `.requires` folder.
    public var links: Set<ServiceLink>
    /// Units linked to `/dev/null`: masked, so that nothing starts them.
    public var masked: Set<String>

    public init(links: Set<ServiceLink> = [], masked: Set<String> = []) {
        self.links = links
        self.masked = masked
    }

    /// The links among `etc`'s symlinks (keyed by absolute path).
    init(etc: [String: EtcEntry]) {
        let folder = "/etc/systemd/system/"
        self.init()
        for (path, entry) in etc where entry.kind == .symlink && path.hasPrefix(folder) {
            let parts = path.dropFirst(folder.count).split(separator: "/")
            if parts.count == 1, entry.content == "/dev/null" {
                masked.insert(String(parts[0]))
            } else if parts.count == 2, parts[0].hasSuffix(".wants") || parts[0].hasSuffix(".requires") {
                links.insert(ServiceLink(unit: String(parts[1]), folder: String(parts[0])))
            }
        }
    }
}

/// One link that enables a unit, e.g. `redis-server.service` in `multi-user.target.wants`.
public struct ServiceLink: Sendable, Codable, Hashable, Comparable {
    /// The unit enabled, e.g. `redis-server.service`.
    public var unit: String
    /// The folder under `/etc/systemd/system` holding the link, e.g. `multi-user.target.wants`.
    public var folder: String

    public init(unit: String, folder: String) {
        self.unit = unit
        self.folder = folder
    }

    /// How the folder's unit pulls this one in, e.g. `wanted by multi-user.target`.
    public var relation: String {
        for (suffix, verb) in [(".wants", "wanted by"), (".requires", "required by")] where folder.hasSuffix(suffix) {
            return "\(verb) \(folder.dropLast(suffix.count))"
        }
        return "linked in \(folder)"
    }

    public static func < (left: ServiceLink, right: ServiceLink) -> Bool {
        (left.unit, left.folder) < (right.unit, right.folder)
    }
}
