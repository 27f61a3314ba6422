import DebianControl
import Foundation

/// A package's `/usr/share/doc/NAME/copyright` in Debian's machine-readable format (DEP-5,
/// `copyright-format/1.0`): a header paragraph naming the format, then `Files` paragraphs, each with a
/// `License` whose first line names the license in Debian's short names and whose further lines may hold its text.
enum DebianCopyright {
    /// The `License` field of each `Files` paragraph of `text`, in order, as written (continuation lines
    /// included); nil when `text` is not in the machine-readable format (free-form copyright files say
    /// nothing a program can read).
    static func licenses(_ text: String) -> [String]? {
        let paragraphs = Deb822.stanzas(text.replacingOccurrences(of: "\r\n", with: "\n"), multiline: true)
        guard let format = paragraphs.first?["Format"], format.contains("copyright-format") || format.contains("dep5") else {
            return nil
        }
        return paragraphs.filter { $0["Files"] != nil }.map { $0["License"] ?? "" }
    }
}
