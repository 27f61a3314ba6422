/// What one suite of a Debian archive ships: each binary package's newest version, as its `Packages`
/// index (`dists/SUITE/main/binary-ARCH/Packages`) lists it. Version tables are checked against it, so
/// that a row says what the mirror really has, not what someone remembered.
public struct ArchiveIndex: Sendable, Equatable {
    /// The suite read, e.g. `trixie`.
    public let suite: String
    /// Package name → its Debian version (`5:8.0.2-3+deb13u3`).
    public let versions: [String: String]

    public init(suite: String, versions: [String: String]) {
        self.suite = suite
        self.versions = versions
    }

    /// Reads a `Packages` index (deb822 stanzas): the `Package` and `Version` of each stanza; a package
    /// listed twice keeps the first version seen.
    public init(suite: String, packages text: Substring) {
        var versions: [String: String] = [:]
        var name: Substring?
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.isEmpty {
                name = nil
            } else if line.hasPrefix("Package: ") {
                name = line.dropFirst(9)
            } else if line.hasPrefix("Version: "), let current = name {
                let key = String(current)
                if versions[key] == nil { versions[key] = String(line.dropFirst(9)) }
            }
        }
        self.init(suite: suite, versions: versions)
    }

    /// The index as `NAME<TAB>VERSION` lines, sorted (how the build's cache keeps it).
    public var lines: String {
        versions.sorted { $0.key < $1.key }.map { "\($0.key)\t\($0.value)\n" }.joined()
    }

    /// Reads what `lines` wrote.
    public init(suite: String, lines text: String) {
        var versions: [String: String] = [:]
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: "\t", maxSplits: 1)
            if fields.count == 2 { versions[String(fields[0])] = String(fields[1]) }
        }
        self.init(suite: suite, versions: versions)
    }

    /// Whether every package of `row` is in the suite at the row's version.
    public func ships(_ row: VersionTable.Entry) -> Bool {
        !row.packages.isEmpty && row.packages.allSatisfy { package in
            versions[package].map { Self.upstream($0, matches: row.version) } ?? false
        }
    }

    /// The upstream part of a Debian version: no epoch (`5:`), no Debian revision (`-3+deb13u3`).
    public static func upstream(_ version: String) -> String {
        var text = Substring(version)
        if let colon = text.firstIndex(of: ":") { text = text[text.index(after: colon)...] }
        if let dash = text.lastIndex(of: "-") { text = text[..<dash] }
        return String(text)
    }

    /// Whether the Debian `version` is of the table's `tableVersion`: its upstream version is that, or
    /// continues it after a dot, `+` or `~` (`8.0.2` and `8.0` match `8.0`; `8.01` does not).
    public static func upstream(_ version: String, matches tableVersion: String) -> Bool {
        let upstream = upstream(version)
        guard upstream.hasPrefix(tableVersion) else { return false }
        let rest = upstream.dropFirst(tableVersion.count)
        return rest.isEmpty || [".", "+", "~"].contains(rest.first)
    }
}
