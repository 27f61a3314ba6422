/// The database version a build installs: `-v`, `-c` / `-e` and optionally a source, matched against the
/// database element's `element.yaml` version tables.
public struct VersionSelection: Sendable, Equatable {
    /// The database element.
    public let element: String
    /// The edition whose table was used; nil when the element's plain `versions` table was.
    public let edition: Edition?
    /// The source the version comes from (`distro`, or e.g. a vendor repository).
    public let source: String
    /// The matched row: its version as the table names it, its packages and releases.
    public let entry: VersionTable.Entry

    /// The variables hooks get for this selection: `DIBKIT_DATABASE` (the element's name),
    /// `DIBKIT_DB_VERSION` (the table's version, e.g. `7.0`),
    /// `DIBKIT_DB_SOURCE`, `DIBKIT_DB_PACKAGES` (space-separated) and, with an edition, `DIBKIT_EDITION`.
    public var environment: [String: String] {
        var variables = ["DIBKIT_DATABASE": element, "DIBKIT_DB_VERSION": entry.version, "DIBKIT_DB_SOURCE": source,
                         "DIBKIT_DB_PACKAGES": entry.packages.joined(separator: " ")]
        if let edition { variables["DIBKIT_EDITION"] = edition.rawValue }
        return variables
    }

    /// The table keys `requested` may match, most specific first: its first two dot-separated components
    /// (`7.0.15` → `7.0`), then its first (`15.4` → `15`, for tables keyed by major version).
    public static func candidates(for requested: String) -> [String] {
        let parts = requested.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        let two = parts.prefix(2).joined(separator: ".")
        return two == parts[0] ? [two] : [two, parts[0]]
    }

    /// Selects the version to build.
    /// - Parameters:
    ///   - element: the database element.
    ///   - version: `-v`, e.g. `7.0.15`; nil for the row marked `default: true`, else the first row.
    ///   - edition: `-c` / `-e`; nil for the `versions` table (or, when there is none, the community edition's).
    ///   - source: only this source; nil for any, in the order element.yaml lists them.
    ///   - release: the operating-system release being built; rows listing other releases do not match.
    /// - Returns: the selection; nil when the element has no version table and nothing was asked.
    /// - Throws: `ElementError.unsupportedVersion` listing the supported versions per source,
    ///   `.unsupportedEdition`, `.unknownSource`, `.unsupportedRelease` or `.noVersionTable`.
    public static func select(
        for element: Element, version: String?, edition: Edition?, source: String? = nil, release: String? = nil
    ) throws -> VersionSelection? {
        guard let (usedEdition, rows) = try rows(for: element, version: version, edition: edition, source: source).map({ ($0.edition, $0.rows) })
        else { return nil }
        let fits = { (row: VersionTable.Entry) in release == nil || row.releases.isEmpty || row.releases.contains(release ?? "") }
        guard let chosen = rows.first(where: { fits($0.row) }) else {
            let row = rows.first?.row
            throw ElementError.unsupportedRelease(
                element: element.name, version: row?.version ?? "", release: release ?? "", releases: row?.releases ?? [])
        }
        return VersionSelection(element: element.name, edition: usedEdition, source: chosen.source, entry: chosen.row)
    }

    /// The rows `version` may select, in the order `select` tries them: with a version, the rows of the most
    /// specific matching key; without, the `default: true` rows first, then the others in file order.
    /// - Returns: the edition whose table is used and the rows; nil when the element has no version table and
    ///   nothing was asked.
    /// - Throws: as `select`, bar `.unsupportedRelease`.
    static func rows(
        for element: Element, version: String?, edition: Edition?, source: String?
    ) throws -> (edition: Edition?, rows: [(source: String, row: VersionTable.Entry)])? {
        let manifest = element.manifest
        let defined = Edition.allCases.filter { manifest.editions[$0] != nil }
        let usedEdition: Edition?
        let table: VersionTable
        if let edition {
            guard let editionTable = manifest.editions[edition] else {
                throw ElementError.unsupportedEdition(
                    element: element.name, requested: edition.rawValue, defined: defined.map(\.rawValue))
            }
            (usedEdition, table) = (edition, editionTable)
        } else if !manifest.versions.isEmpty {
            (usedEdition, table) = (nil, manifest.versions)
        } else if let first = defined.first, let editionTable = manifest.editions[first] {
            (usedEdition, table) = (first, editionTable)
        } else {
            guard version == nil && source == nil else { throw ElementError.noVersionTable(element: element.name) }
            return nil
        }
        var sources = table.sources
        if let source {
            sources = sources.filter { $0.name == source }
            guard !sources.isEmpty else {
                throw ElementError.unknownSource(element: element.name, requested: source, sources: table.sources.map(\.name))
            }
        }
        let rows = sources.flatMap { source in source.entries.map { (source: source.name, row: $0) } }
        guard !rows.isEmpty else { throw ElementError.noVersionTable(element: element.name) }
        guard let version else { return (usedEdition, rows.filter(\.row.isDefault) + rows.filter { !$0.row.isDefault }) }
        let keys = candidates(for: version)
        let matching = keys.lazy.map { key in rows.filter { $0.row.version == key } }.first { !$0.isEmpty } ?? []
        guard !matching.isEmpty else {
            throw ElementError.unsupportedVersion(
                element: element.name, requested: version, supported: VersionTable(sources: sources).supported)
        }
        return (usedEdition, matching)
    }
}
