/// What differs from one image's snapshot to another's, each list sorted: what only the second has (added,
/// enabled, opened), what only the first has (removed, disabled, closed), and what both have in other forms.
public struct ImageDifference: Sendable, Codable, Equatable {
    public var packages: PackageChanges
    public var etc: EtcChanges
    public var services: ServiceChanges
    public var firewall: FirewallChanges

    /// Compares `first` with `second`.
    public init(from first: ImageSnapshot, to second: ImageSnapshot) {
        packages = PackageChanges(
            added: second.packages.filter { first.packages[$0.key] == nil }.map { .init(name: $0.key, version: $0.value) }.sorted(),
            removed: first.packages.filter { second.packages[$0.key] == nil }.map { .init(name: $0.key, version: $0.value) }.sorted(),
            changed: first.packages.compactMap { name, version in
                second.packages[name].flatMap { $0 == version ? nil : PackageChanges.VersionChange(name: name, from: version, to: $0) }
            }.sorted { $0.name < $1.name })
        etc = EtcChanges(
            added: second.etc.keys.filter { first.etc[$0] == nil }.sorted(),
            removed: first.etc.keys.filter { second.etc[$0] == nil }.sorted(),
            changed: first.etc.compactMap { path, entry in second.etc[path].flatMap { EtcChange(path: path, from: entry, to: $0) } }
                .sorted { $0.path < $1.path })
        services = ServiceChanges(
            enabled: second.services.links.subtracting(first.services.links).sorted(),
            disabled: first.services.links.subtracting(second.services.links).sorted(),
            masked: second.services.masked.subtracting(first.services.masked).sorted(),
            unmasked: first.services.masked.subtracting(second.services.masked).sorted())
        let (before, after) = (Set(first.firewall.openPorts), Set(second.firewall.openPorts))
        firewall = FirewallChanges(
            policy: Change(first.firewall.inputPolicy, second.firewall.inputPolicy),
            opened: after.subtracting(before).sorted(), closed: before.subtracting(after).sorted())
    }

    /// How many differences there are: packages, paths, links, masks and ports, the policy counting one.
    public var count: Int {
        packages.added.count + packages.removed.count + packages.changed.count + etc.added.count + etc.removed.count
            + etc.changed.count + services.enabled.count + services.disabled.count + services.masked.count
            + services.unmasked.count + (firewall.policy == nil ? 0 : 1) + firewall.opened.count + firewall.closed.count
    }

    /// True when the two images hold the same packages, `/etc`, services and open ports.
    public var isEmpty: Bool { count == 0 }
}

/// A value in the first image and in the second.
public struct Change<Value: Sendable & Codable & Equatable>: Sendable, Codable, Equatable {
    public var from: Value
    public var to: Value

    /// nil when the two are equal.
    public init?(_ from: Value, _ to: Value) {
        guard from != to else { return nil }
        self.from = from
        self.to = to
    }
}

/// Packages installed in only one image, or in both at other versions.
public struct PackageChanges: Sendable, Codable, Equatable {
    public struct Package: Sendable, Codable, Equatable, Comparable {
        public var name: String
        public var version: String

        public init(name: String, version: String) {
            self.name = name
            self.version = version
        }

        public static func < (left: Package, right: Package) -> Bool { left.name < right.name }
    }

    public struct VersionChange: Sendable, Codable, Equatable {
        public var name: String
        public var from: String
        public var to: String

        public init(name: String, from: String, to: String) {
            self.name = name
            self.from = from
            self.to = to
        }
    }

    public var added: [Package]
    public var removed: [Package]
    public var changed: [VersionChange]
}

/// Files and symlinks under `/etc` in only one image, or in both but different.
public struct EtcChanges: Sendable, Codable, Equatable {
    public var added: [String]
    public var removed: [String]
    public var changed: [EtcChange]
}

/// How one path under `/etc` differs; each part nil when it is the same.
public struct EtcChange: Sendable, Codable, Equatable {
    public var path: String
    /// A file became a symlink, or the reverse (then neither `content` nor `target` nor `mode` is given).
    public var kind: Change<EtcEntry.Kind>?
    /// The SHA-256 of a file's contents.
    public var content: Change<String>?
    /// A symlink's target.
    public var target: Change<String>?
    /// A file's permission bits.
    public var mode: Change<String>?
    public var owner: Change<String>?

    /// nil when `from` and `to` are the same.
    init?(path: String, from: EtcEntry, to: EtcEntry) {
        guard from != to else { return nil }
        self.path = path
        kind = Change(from.kind, to.kind)
        let sameKind = kind == nil
        content = sameKind && from.kind == .file ? Change(from.content, to.content) : nil
        target = sameKind && from.kind == .symlink ? Change(from.content, to.content) : nil
        mode = sameKind && from.kind == .file ? Change(from.mode, to.mode) : nil
        owner = Change(from.owner, to.owner)
    }
}

/// Units enabled or masked in only one image.
public struct ServiceChanges: Sendable, Codable, Equatable {
    /// Links only the second image has.
    public var enabled: [ServiceLink]
    /// Links only the first image has.
    public var disabled: [ServiceLink]
    /// Units masked only in the second image.
    public var masked: [String]
    /// Units masked only in the first image.
    public var unmasked: [String]
}

/// Ports one image's firewall accepts and the other's does not.
public struct FirewallChanges: Sendable, Codable, Equatable {
    /// The input chains' policy, when it differs.
    public var policy: Change<String>?
    /// Ports only the second image accepts.
    public var opened: [OpenPort]
    /// Ports only the first image accepts.
    public var closed: [OpenPort]
}
