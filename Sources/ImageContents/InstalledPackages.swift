import DebianControl
import Foundation

/// The packages dpkg's status file (`/var/lib/dpkg/status`) says are installed.
public enum InstalledPackages {
    /// Name → version of every package whose status is installed (`install ok installed`, a held one's
    /// `hold ok installed` too); removed ones that left their configuration (`config-files`) and half-installed
    /// ones are not. A name installed for two architectures (multiarch) is listed as `name:arch` for each.
    public static func parse(_ status: String) -> [String: String] {
        var installed: [(name: String, architecture: String, version: String)] = []
        // A line of blanks parts stanzas too, as it does for dpkg.
        let text = status.replacingOccurrences(of: "(?m)^[ \t]+$", with: "", options: .regularExpression)
        for stanza in Deb822.stanzas(text) {
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
}
