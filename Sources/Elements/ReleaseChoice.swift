/// The operating-system release a build is for, chosen together with the database version it installs:
/// `--release` when given, else the release whose archive ships the `-v` asked for, else the default (or,
/// when the default's archive lacks the database, the first release whose archive has it).
/// Every archive row is checked against the mirror's index of its suite before it is used.
public struct ReleaseChoice: Sendable, Equatable {
    public let release: String
    /// The database version; nil when the build has no database element.
    public let selection: VersionSelection?

    public init(release: String, selection: VersionSelection?) {
        self.release = release
        self.selection = selection
    }

    /// Chooses the release and the version.
    /// - Parameters:
    ///   - database: the build's database element (the one with a version table); nil when there is none.
    ///   - version: `-v`; nil for the release's default row.
    ///   - edition: `-c` / `-e`.
    ///   - source: only this source (`vendor` with `-p`); nil for any.
    ///   - release: `--release`; nil to choose.
    ///   - releases: the releases builds are made for, the default first; a version found in several is
    ///     built for the first of them.
    ///   - archive: the mirror's index of a suite (read when a row of the archive must be checked).
    /// - Throws: `ElementError.versionInOtherRelease` (`--release` does not ship `-v`),
    ///   `.noVersionForRelease`, `.notInMirror` (the mirror does not ship the row), what `select` throws, and
    ///   what `archive` throws.
    public static func choose(
        database: Element?, version: String?, edition: Edition?, source: String?, release: String?, releases: [String],
        archive: (String) async throws -> ArchiveIndex
    ) async throws -> ReleaseChoice {
        let fallback = release ?? releases.first ?? ""
        guard let database, source != VersionTable.vendorSource,
              let rows = try VersionSelection.rows(for: database, version: version, edition: edition, source: source)?.rows
        else {
            let selection = try database.flatMap {
                try VersionSelection.select(for: $0, version: version, edition: edition, source: source, release: fallback)
            }
            return ReleaseChoice(release: fallback, selection: selection)
        }
        // Rows of an archive (not the vendor's package) that name their releases.
        let archiveRows = rows.filter { $0.source != VersionTable.vendorSource && !$0.row.releases.isEmpty }.map(\.row)
        let named = ordered(archiveRows.flatMap(\.releases), preferring: releases)
        let anyRelease = rows.contains { $0.source != VersionTable.vendorSource && $0.row.releases.isEmpty }
        let chosen: String
        if let release {
            if !archiveRows.isEmpty && !anyRelease && !named.contains(release) {
                if let version {
                    throw ElementError.versionInOtherRelease(
                        element: database.name, version: version, release: release, releases: named)
                }
                throw ElementError.noVersionForRelease(
                    element: database.name, release: release,
                    available: named.map { name in
                        "\(name): " + archiveRows.filter { $0.releases.contains(name) }.map(\.version).joined(separator: ", ")
                    },
                    vendor: rows.filter { $0.source == VersionTable.vendorSource }.map(\.row.version))
            }
            chosen = release
        } else if !archiveRows.isEmpty, !anyRelease, version != nil || !named.contains(fallback),
                  case let candidates = named.filter(releases.contains), !candidates.isEmpty {
            // With -v, the first release that ships it; without, the default release unless its archive lacks
            // the database (MySQL is only in Debian's unstable suite), then the first that has it. Only the
            // releases builds pick are tried (Debian's): another distribution's rows need its own mirror.
            var shipping: String?
            for candidate in candidates {
                let index = try await archive(candidate)
                if archiveRows.contains(where: { $0.releases.contains(candidate) && index.ships($0) }) {
                    shipping = candidate
                    break
                }
            }
            guard let shipping else {
                let row = archiveRows.first { $0.releases.contains(candidates[0]) } ?? archiveRows[0]
                let index = try await archive(candidates[0])
                throw ElementError.notInMirror(
                    element: database.name, version: row.version, release: candidates.joined(separator: ", "),
                    found: row.packages.map { "\($0) \(index.versions[$0] ?? "(none)")" })
            }
            chosen = shipping
        } else {
            chosen = fallback
        }
        let selection = try VersionSelection.select(
            for: database, version: version, edition: edition, source: source, release: chosen)
        if let selection, selection.source != VersionTable.vendorSource, !selection.entry.packages.isEmpty {
            let index = try await archive(chosen)
            guard index.ships(selection.entry) else {
                throw ElementError.notInMirror(
                    element: database.name, version: selection.entry.version, release: chosen,
                    found: selection.entry.packages.map { "\($0) \(index.versions[$0] ?? "(none)")" })
            }
        }
        return ReleaseChoice(release: chosen, selection: selection)
    }

    /// Whether choosing the release needs the mirror's indexes: `-v` given, or the default release's archive
    /// lacks the database (MySQL) — else the default release is built and no index is read yet.
    public static func dependsOnArchive(database: Element, version: String?, edition: Edition?, defaultRelease: String) throws -> Bool {
        if version != nil { return true }
        guard let rows = try VersionSelection.rows(for: database, version: nil, edition: edition, source: nil)?.rows else { return false }
        let archive = rows.filter { $0.source != VersionTable.vendorSource }.map(\.row)
        return !archive.isEmpty && !archive.contains { $0.releases.isEmpty || $0.releases.contains(defaultRelease) }
    }

    /// `names` without repeats, those of `preferred` first in its order, then the others as they came.
    private static func ordered(_ names: [String], preferring preferred: [String]) -> [String] {
        var seen: Set<String> = []
        let unique = names.filter { seen.insert($0).inserted }
        return preferred.filter(unique.contains) + unique.filter { !preferred.contains($0) }
    }
}
