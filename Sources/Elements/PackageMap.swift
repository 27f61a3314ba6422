import Foundation

/// An element's `pkg-map` (diskimage-builder's JSON): generic package names translated per release,
/// distribution, family or by default; the most specific section wins, and an empty translation means
/// "nothing to install here".
public struct PackageMap: Sendable, Equatable {
    /// distro → release → name → packages.
    var release: [String: [String: [String: String]]] = [:]
    /// distro → name → packages.
    var distro: [String: [String: String]] = [:]
    /// family (`debian`, `redhat`, `suse`, `gentoo`) → name → packages.
    var family: [String: [String: String]] = [:]
    var fallback: [String: String] = [:]

    /// The family diskimage-builder puts `distro` in.
    static func family(of distro: String) -> String? {
        switch distro {
        case "debian", "ubuntu": "debian"
        case "almalinux", "fedora", "rhel", "centos", "openeuler", "rocky": "redhat"
        case "opensuse": "suse"
        case "gentoo": "gentoo"
        default: nil
        }
    }

    /// Every translation that applies to `distro` / `release`: name → space-separated packages (maybe empty).
    public func translations(distro: String, release: String?) -> [String: String] {
        var result = fallback
        if let name = Self.family(of: distro), let section = family[name] { result.merge(section) { $1 } }
        if let section = self.distro[distro] { result.merge(section) { $1 } }
        if let release, let section = self.release[distro]?[release] { result.merge(section) { $1 } }
        return result
    }

    /// The packages `name` stands for; a name without a translation stands for itself.
    public func packages(for name: String, distro: String, release: String?) -> [String] {
        guard let mapped = translations(distro: distro, release: release)[name] else { return [name] }
        return mapped.split(whereSeparator: \.isWhitespace).map(String.init)
    }

    /// Reads the element's `pkg-map`; nil when it has none.
    /// - Throws: `ElementError.badFile` when it is not a pkg-map.
    static func load(from file: URL) throws -> PackageMap? {
        guard let data = FileManager.default.contents(atPath: file.path) else { return nil }
        let fail = { (reason: String) in ElementError.badFile(path: file.path, reason: reason) }
        let object: Any
        do { object = try JSONSerialization.jsonObject(with: data) } catch {
            throw fail("not valid JSON (\(error.localizedDescription))")
        }
        guard let sections = object as? [String: Any] else { throw fail("a pkg-map must be a JSON object") }
        var map = PackageMap()
        for (key, value) in sections {
            switch key {
            case "default": map.fallback = try names(value, "default", fail)
            case "family": map.family = try nested(value, "family", fail)
            case "distro": map.distro = try nested(value, "distro", fail)
            case "release":
                guard let distros = value as? [String: Any] else { throw fail("'release' must map distributions to releases") }
                for (distro, releases) in distros {
                    map.release[distro] = try nested(releases, "release.\(distro)", fail)
                }
            default: throw fail("unknown section '\(key)'; a pkg-map has release, distro, family and default")
            }
        }
        return map
    }

    private static func nested(_ value: Any, _ what: String, _ fail: (String) -> ElementError) throws -> [String: [String: String]] {
        guard let sections = value as? [String: Any] else { throw fail("'\(what)' must be a JSON object") }
        return try sections.reduce(into: [:]) { result, pair in result[pair.key] = try names(pair.value, "\(what).\(pair.key)", fail) }
    }

    private static func names(_ value: Any, _ what: String, _ fail: (String) -> ElementError) throws -> [String: String] {
        guard let names = value as? [String: Any] else { throw fail("'\(what)' must map package names to packages") }
        return try names.reduce(into: [:]) { result, pair in
            guard let packages = pair.value as? String else {
                throw fail("'\(what).\(pair.key)' must be a string of package names")
            }
            result[pair.key] = packages
        }
    }
}
