import Foundation

/// Debian's deb822 control format, as apt's `.sources` files, an archive's `Packages` index, dpkg's `status` and
/// machine-readable `copyright` files are written.
public enum Deb822 {
    /// The stanzas of `text` (separated by empty lines), each as field → value, names as written. Comment
    /// lines (`#`) and continuation lines (starting with a space or tab) are left out.
    public static func stanzas(_ text: String) -> [[String: String]] {
        text.components(separatedBy: "\n\n").map { stanza in
            var fields: [String: String] = [:]
            for line in stanza.split(separator: "\n")
            where !line.hasPrefix("#") && !line.hasPrefix(" ") && !line.hasPrefix("\t") {
                guard let colon = line.firstIndex(of: ":") else { continue }
                fields[line[..<colon].trimmingCharacters(in: .whitespaces)] =
                    line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
            return fields
        }
    }
}
