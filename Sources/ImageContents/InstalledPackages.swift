import Foundation

/// The packages dpkg's status file (`/var/lib/dpkg/status`) says are installed.
public enum InstalledPackages {
    /// Name → version of every package whose status is installed (`install ok installed`, a held one's
    /// `hold ok installed` too); removed ones that left their configuration (`config-files`) and half-installed
    /// ones are not. A name installed for two architectures (multiarch) is listed as `name:arch` for each.
    public static func parse(_ status: String) -> [String: String] {
        var installed: [(name: String, architecture: String, version: String)] = []
        for stanza in stanzas(status) {
            guard let name = stanza["Package"], let version = stanza["Version"],
                stanza["Status"]?.split(separator: " ").last == "installed"
            else { continue }
            installed.append((name, stanza["Architecture"] ?? "", version))
        }
        let counts = installed.reduce(into: [String: Int]()) { $0[$1.name, default: 0] += 1 }
        return Dictionary(
            installed.map { (counts[$0.name, default: 0] > 1 ? "\($0.name):\($0.architecture)" : $0.name, $0.version) },
            uniquingKeysWith: { _, last in last })
    }

    /// The stanzas of a deb822 file (paragraphs apart by blank lines), each field's first line only:
    /// the fields read here fit on one line.
    private static func stanzas(_ text: String) -> [[String: String]] {
        var stanzas: [[String: String]] = []
        var current: [String: String] = [:]
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.allSatisfy(\.isWhitespace) {
                if !current.isEmpty { stanzas.append(current) }
                current = [:]
            } else if let colon = line.firstIndex(of: ":"), line.first != " ", line.first != "\t" {
                current[String(line[..<colon])] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
        }
        if !current.isEmpty { stanzas.append(current) }
        return stanzas
    }
}
