import Foundation

/// The Debian mirrors configured on the host, read from its apt sources (deb822 `.sources` and
/// one-line `.list` files), so builds use the same mirror the host does.
public struct AptSources: Sendable, Equatable {
    /// The archive URL serving `RELEASE` and `RELEASE-updates`.
    public var mirror: String?
    /// The URL serving `RELEASE-security`, if any.
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

    static func select(_ entries: [(uri: String, suites: [String])], release: String) -> AptSources {
        var sources = AptSources()
        for entry in entries {
            if sources.mirror == nil, entry.suites.contains(release) { sources.mirror = entry.uri }
            if sources.securityMirror == nil, entry.suites.contains("\(release)-security") {
                sources.securityMirror = entry.uri
            }
        }
        return sources
    }

    static func deb822Entries(_ text: String) -> [(uri: String, suites: [String])] {
        text.components(separatedBy: "\n\n").compactMap { stanza in
            var fields: [String: String] = [:]
            for line in stanza.split(separator: "\n") where !line.hasPrefix("#") {
                guard let colon = line.firstIndex(of: ":") else { continue }
                fields[line[..<colon].trimmingCharacters(in: .whitespaces).lowercased()] =
                    line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
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
