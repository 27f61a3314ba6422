import DebianControl
import Foundation

/// The Debian mirrors configured on the host, read from its apt sources (deb822 `.sources` and
/// one-line `.list` files), so builds use the same mirror the host does.
public struct AptSources: Sendable, Equatable {
    /// The Debian archive URL (it serves `RELEASE` and `RELEASE-updates` whichever suites the host lists).
    public var mirror: String?
    /// The URL serving Debian's security suites (`RELEASE-security`), if the host lists one.
    public var securityMirror: String?

    /// The files read, in order.
    public static let defaultFiles = ["/etc/apt/sources.list"]
    public static let defaultFolder = "/etc/apt/sources.list.d"

    /// Reads the host's apt sources for `release`.
    public static func host(release: String, folder: String = defaultFolder, files: [String] = defaultFiles) -> AptSources {
        let listed = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        let paths = files + listed.sorted().filter { $0.hasSuffix(".sources") || $0.hasSuffix(".list") }
            .map { folder + "/" + $0 }
        var entries: [(uri: String, suites: [String])] = []
        for path in paths {
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { continue }
            entries += path.hasSuffix(".sources") ? deb822Entries(text) : oneLineEntries(text)
        }
        return select(entries, release: release)
    }

    /// Debian's release names and aliases: a suite is Debian's when it is one of these, alone or with a suffix
    /// such as `-updates`, `-backports` or `-security`.
    static let debianSuites = ["buster", "bullseye", "bookworm", "trixie", "forky", "duke", "sid", "oldoldstable",
                               "oldstable", "stable", "testing", "unstable", "experimental"]

    /// The mirror and security mirror for `release`: an entry listing `release` itself (or `RELEASE-security`)
    /// first, else the first entry listing any Debian suite — a host on bookworm names its mirror only with
    /// bookworm's suites, and the same URL serves trixie.
    static func select(_ entries: [(uri: String, suites: [String])], release: String) -> AptSources {
        let isSecurity = { (suite: String) in suite.hasSuffix("-security") || suite.hasSuffix("/updates") }
        let isDebian = { (suite: String) in
            debianSuites.contains(String(suite.split(separator: "-").first ?? "").split(separator: "/").first.map(String.init) ?? "")
        }
        var sources = AptSources()
        sources.mirror = entries.first { $0.suites.contains(release) }?.uri
            ?? entries.first { $0.suites.contains { isDebian($0) && !isSecurity($0) } }?.uri
        sources.securityMirror = entries.first { $0.suites.contains("\(release)-security") }?.uri
            ?? entries.first { $0.suites.contains { isDebian($0) && isSecurity($0) } }?.uri
        return sources
    }

    static func deb822Entries(_ text: String) -> [(uri: String, suites: [String])] {
        Deb822.stanzas(text).compactMap { stanza in
            // Field names are case-insensitive in sources files.
            let fields = Dictionary(stanza.map { ($0.key.lowercased(), $0.value) }) { first, _ in first }
            guard fields["types"]?.split(separator: " ").contains("deb") == true,
                fields["enabled"]?.lowercased() != "no",
                let uri = fields["uris"]?.split(separator: " ").first, let suites = fields["suites"]
            else { return nil }
            return (String(uri), suites.split(separator: " ").map(String.init))
        }
    }

    static func oneLineEntries(_ text: String) -> [(uri: String, suites: [String])] {
        text.split(separator: "\n").compactMap { line in
            var words = line.split(separator: " ").map(String.init)
            guard words.first == "deb" else { return nil }
            words.removeFirst()
            if words.first?.hasPrefix("[") == true {
                while let word = words.first, !word.hasSuffix("]") { words.removeFirst() }
                words.removeFirst()
            }
            guard words.count >= 2 else { return nil }
            return (words[0], [words[1]])
        }
    }
}
