import Foundation

/// Debian's deb822 control format, as apt's `.sources` files, an archive's `Packages` index, dpkg's `status` and
/// machine-readable `copyright` files are written.
public enum Deb822 {
    /// The stanzas of `text` (separated by empty lines), each as field → value, names as written. Comment
    /// lines (`#`) are left out, and so are continuation lines (starting with a space or tab) unless `multiline`:
    /// then each follows its field's first line on a line of its own, without its first space, a lone `.`
    /// as an empty line (as Debian's copyright files hold license texts).
    public static func stanzas(_ text: String, multiline: Bool = false) -> [[String: String]] {
        text.components(separatedBy: "\n\n").map { stanza in
            var fields: [String: String] = [:]
            var field: String?
            for line in stanza.split(separator: "\n") where !line.hasPrefix("#") {
                if line.hasPrefix(" ") || line.hasPrefix("\t") {
                    if multiline, let field {
                        let continued = line.dropFirst()
                        fields[field, default: ""] += "\n" + (continued.trimmingCharacters(in: .whitespaces) == "." ? "" : continued)
                    }
                    continue
                }
                field = nil
                guard let colon = line.firstIndex(of: ":") else { continue }
                let name = line[..<colon].trimmingCharacters(in: .whitespaces)
                fields[name] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                field = name
            }
            return fields
        }
    }
}
