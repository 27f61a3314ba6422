public import Foundation
public import Reporting

/// What `dibkit build` keeps under its cache folder, as `dibkit cache list` shows it and `dibkit cache prune`
/// removes it: base roots (`base/*.tar` with their checksums), installed trees (`installed/*.tar`, likewise),
/// downloaded packages and package lists per
/// release (`apt/RELEASE-ARCH/`), the mirror's package indexes (`archive/`), and build logs (`logs/`).
public struct BuildCache: Sendable {
    /// One thing in the cache.
    public struct Entry: Codable, Sendable, Equatable {
        public enum Kind: String, Codable, Sendable { case baseRoot = "base-root", installedTree = "installed-tree", packages, packageLists = "package-lists", packageIndex = "package-index", log }
        public var kind: Kind
        /// The file, or for packages and lists the folder.
        public var path: String
        public var bytes: UInt64
        /// How many files it holds (1 for a base root or a log).
        public var files: Int
        /// When it last changed: a base root when it was bootstrapped, a folder when its newest file came.
        public var modified: Date
    }

    public let folder: URL

    public init(folder: URL) { self.folder = folder }

    /// The cache `folder` (`--cache-dir`) names, else the default one.
    public init(folder: URL?, environment: [String: String]) {
        self.folder = folder ?? Self.defaultFolder(environment: environment)
    }

    /// Where builds cache when not told: `$DIBKIT_CACHE_DIR`, else `$XDG_CACHE_HOME/dibkit`, else
    /// `$HOME/.cache/dibkit` (the environment's HOME first: in an unprivileged build's user namespace the
    /// password database says root's home).
    static func defaultFolder(environment: [String: String]) -> URL {
        if let folder = environment["DIBKIT_CACHE_DIR"], !folder.isEmpty { return URL(fileURLWithPath: folder) }
        if let cache = environment["XDG_CACHE_HOME"], cache.hasPrefix("/") { return URL(fileURLWithPath: cache + "/dibkit") }
        let home = environment["HOME"].flatMap { $0.hasPrefix("/") ? $0 : nil } ?? NSHomeDirectory()
        return URL(fileURLWithPath: home + "/.cache/dibkit")
    }

    /// Everything in the cache, base roots first, each kind by path.
    public func list() -> [Entry] {
        var entries: [Entry] = []
        for (name, kind) in [("base", Entry.Kind.baseRoot), ("installed", .installedTree)] {
            for tar in files(in: folder.appendingPathComponent(name)) where tar.pathExtension == "tar" && !tar.lastPathComponent.hasPrefix(".") {
                let checksum = tar.appendingPathExtension("sha256")
                entries.append(Entry(kind: kind, path: tar.path, bytes: size(tar) + size(checksum), files: 1, modified: modified(tar)))
            }
        }
        for release in files(in: folder.appendingPathComponent("apt")) {
            for (name, kind) in [("archives", Entry.Kind.packages), ("lists", .packageLists)] {
                let contents = files(in: release.appendingPathComponent(name)).filter { !isDirectory($0) }
                guard !contents.isEmpty else { continue }
                entries.append(Entry(
                    kind: kind, path: release.appendingPathComponent(name).path, bytes: contents.map(size).reduce(0, +),
                    files: contents.count, modified: contents.map(modified).max() ?? .distantPast))
            }
        }
        for (name, kind) in [("archive", Entry.Kind.packageIndex), ("logs", .log)] {
            for file in files(in: folder.appendingPathComponent(name)) where !isDirectory(file) {
                entries.append(Entry(kind: kind, path: file.path, bytes: size(file), files: 1, modified: modified(file)))
            }
        }
        return entries
    }

    /// Removes base roots, installed trees, package indexes and logs changed before `cutoff` (all when nil), and the packages and lists
    /// downloaded before it, file by file; waits for builds using the cache first (their lock).
    /// - Returns: what was removed, as `list` gave it before.
    public func prune(changedBefore cutoff: Date?, progress: @escaping ProgressHandler) async throws -> [Entry] {
        let lock = try await CacheLock(cache: folder, progress: progress)
        defer { lock.release() }
        let isOld = { (date: Date) in cutoff.map { date < $0 } ?? true }
        var removed: [Entry] = []
        for var entry in list() {
            let url = URL(fileURLWithPath: entry.path)
            switch entry.kind {
            case .baseRoot, .installedTree, .packageIndex, .log:
                guard isOld(entry.modified) else { continue }
                // The checksum goes after the tar: a tar without one is never used.
                try remove(url)
                if entry.kind == .baseRoot || entry.kind == .installedTree { try remove(url.appendingPathExtension("sha256")) }
            case .packages, .packageLists:
                let old = files(in: url).filter { !isDirectory($0) && isOld(modified($0)) }
                guard !old.isEmpty else { continue }
                entry.files = old.count
                entry.bytes = old.map(size).reduce(0, +)
                for file in old { try remove(file) }
            }
            removed.append(entry)
        }
        return removed
    }

    private func remove(_ url: URL) throws {
        guard FileManager.default.fileExists(atPath: url.path) else { return }
        do {
            try FileManager.default.removeItem(at: url)
        } catch {
            throw BuildError.stepFailed(step: "cache prune", reason: "cannot remove \(url.path): \(error.localizedDescription)")
        }
    }

    private func files(in folder: URL) -> [URL] {
        ((try? FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil)) ?? [])
            .sorted { $0.path < $1.path }
    }

    private func attributes(_ url: URL) -> [FileAttributeKey: Any] {
        (try? FileManager.default.attributesOfItem(atPath: url.path)) ?? [:]
    }

    private func size(_ url: URL) -> UInt64 { (attributes(url)[.size] as? NSNumber)?.uint64Value ?? 0 }
    private func modified(_ url: URL) -> Date { attributes(url)[.modificationDate] as? Date ?? .distantPast }
    private func isDirectory(_ url: URL) -> Bool { attributes(url)[.type] as? FileAttributeType == .typeDirectory }
}
