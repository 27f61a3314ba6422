/// dibkit's optional `element.yaml`: what diskimage-builder's layout has no place for.
public struct ElementManifest: Sendable, Equatable {
    /// How the operating-system element's base root is bootstrapped.
    public struct Bootstrap: Sendable, Equatable {
        /// `mmdebstrap` or `debootstrap`.
        public var tool: String?
        public var variant: String?
        public var components: [String]?
        /// Packages added to the base root.
        public var include: [String]?
        /// Packages left out of the base root.
        public var exclude: [String]?
        /// dpkg's path filters, in order (`path-exclude=/usr/share/doc/*`, `path-include=…`): files of every
        /// package that dpkg does not unpack, in the base root, while building, and in the image later on.
        public var pathFilter: [String]?
    }

    /// One first-boot parameter read from user-data.
    public struct Parameter: Sendable, Equatable {
        public var name: String
        /// The value used when user-data gives none, as written in element.yaml.
        public var `default`: String?
        public var description: String?
    }

    /// The user-data section an element's first-boot hook reads (`dibkit: {SECTION: {...}}`) and its
    /// parameters, in the order element.yaml lists them.
    public struct Firstboot: Sendable, Equatable {
        public var section: String
        public var parameters: [Parameter]
    }

    public var description: String?
    public var bootstrap: Bootstrap?
    public var firstboot: Firstboot?
    /// Versions per source, used when no edition is asked for.
    public var versions = VersionTable()
    /// Version tables of the editions `-c` / `-e` select.
    public var editions: [Edition: VersionTable] = [:]
    /// The database's default TCP ports.
    public var ports: [Int] = []

    public init() {}

    /// True when the version tables have rows and all of them come from the `vendor` source: the database
    /// is installed only from the user's package (`-p`), not from an archive.
    public var installsOnlyFromUserPackage: Bool {
        let sources = ([versions] + editions.values).flatMap(\.sources).filter { !$0.entries.isEmpty }
        return !sources.isEmpty && sources.allSatisfy { $0.name == VersionTable.vendorSource }
    }

    /// Every table's versions: source → versions for `versions`, "edition source" → versions for editions.
    public var supportedVersions: [String: [String]] {
        var supported = versions.supported
        for edition in Edition.allCases {
            for (source, list) in editions[edition]?.supported ?? [:] { supported["\(edition.rawValue) \(source)"] = list }
        }
        return supported
    }
}

/// A database edition: `-c` selects community, `-e` enterprise.
public enum Edition: String, CaseIterable, Sendable, Codable {
    case community
    case enterprise
}

/// Versions of a database per source (`distro` = the distribution's archive, or e.g. a vendor's
/// repository), each version with the packages that install it and the releases it exists for.
public struct VersionTable: Sendable, Equatable {
    /// One row: `"7.0": {packages: [redis-server], releases: [bookworm]}`.
    public struct Entry: Sendable, Equatable {
        /// The version as the table names it (`7.0`, `15`).
        public var version: String
        public var packages: [String] = []
        /// Releases of the operating system the version exists for; empty means any.
        public var releases: [String] = []
        /// `default: true`: the version built when `-v` is not given.
        public var isDefault = false
    }

    /// One source and its versions, in file order.
    public struct Source: Sendable, Equatable {
        public var name: String
        public var entries: [Entry]
    }

    /// Sources in file order.
    public var sources: [Source] = []

    /// The source whose rows are installed from the user's package (`-p`) rather than from an archive.
    public static let vendorSource = "vendor"

    public var isEmpty: Bool { sources.allSatisfy(\.entries.isEmpty) }

    /// Source name → its versions, for error messages and `elements show`.
    public var supported: [String: [String]] {
        Dictionary(sources.map { ($0.name, $0.entries.map(\.version)) }) { first, _ in first }
    }
}
