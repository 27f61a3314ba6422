import Foundation
import Reporting

/// The state of the mirror a build used, read from the `Release` files apt fetched into its lists folder.
enum MirrorReleases {
    /// Each of `suites` that apt fetched from one of `mirrors` into `lists`, with its `Date:` field, in the
    /// order of `suites`. Files of other mirrors or suites (the lists folder is shared by builds of a release)
    /// are left out.
    static func read(lists: URL, mirrors: [String], suites: [String]) -> [Manifest.SuiteRelease] {
        let prefixes = mirrors.map { listsFileName(of: $0) + "_dists_" }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: lists.path)) ?? []
        var dates: [String: String] = [:]
        for name in names where name.hasSuffix("_InRelease") || name.hasSuffix("_Release") {
            guard prefixes.contains(where: name.hasPrefix),
                  let text = try? String(contentsOf: lists.appendingPathComponent(name), encoding: .utf8)
            else { continue }
            let fields = releaseFields(text)
            guard let date = fields["Date"] else { continue }
            for key in ["Suite", "Codename"] {
                if let suite = fields[key], suites.contains(suite) { dates[suite] = date }
            }
        }
        return suites.compactMap { suite in dates[suite].map { .init(suite: suite, date: $0) } }
    }

    /// apt's name in its lists folder for a URI (`URItoFileName`): no scheme, no login, a few characters
    /// (`_` among them) as `%xx`, then `/` as `_`.
    static func listsFileName(of uri: String) -> String {
        var rest = Substring(uri)
        if let scheme = rest.range(of: "://") { rest = rest[scheme.upperBound...] }
        if let at = rest.firstIndex(of: "@"), !rest[..<at].contains("/") { rest = rest[rest.index(after: at)...] }
        while rest.hasSuffix("/") { rest = rest.dropLast() }
        let quoted = "\\|{}[]<>\"^~_=!@#$%&*"
        return rest.map { character -> String in
            if character == "/" { return "_" }
            guard quoted.contains(character), let ascii = character.asciiValue else { return String(character) }
            return String(format: "%%%02x", ascii)
        }.joined()
    }

    /// The first paragraph's fields of a `Release` or clear-signed `InRelease` file.
    static func releaseFields(_ text: String) -> [String: String] {
        var fields: [String: String] = [:]
        var inHeader = text.hasPrefix("-----BEGIN PGP SIGNED MESSAGE-----")
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if inHeader {
                if line.isEmpty { inHeader = false }
                continue
            }
            if line.isEmpty { break }
            if line.hasPrefix(" ") { continue }
            guard let colon = line.firstIndex(of: ":") else { continue }
            fields[String(line[..<colon])] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return fields
    }
}
