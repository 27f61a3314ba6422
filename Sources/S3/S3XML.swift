import Foundation

/// Reads the few values staging needs from S3's small XML answers, without a full XML parser.
enum S3XML {
    /// The text of the first `<tag>…</tag>`, entities decoded, or nil.
    static func value(of tag: String, in xml: String) -> String? {
        values(of: tag, in: xml).first
    }

    /// The texts of every `<tag>…</tag>`, in order, entities decoded.
    static func values(of tag: String, in xml: String) -> [String] {
        var results: [String] = []
        var rest = xml[...]
        while let open = rest.range(of: "<\(tag)>"), let close = rest[open.upperBound...].range(of: "</\(tag)>") {
            results.append(decodeEntities(String(rest[open.upperBound..<close.lowerBound])))
            rest = rest[close.upperBound...]
        }
        return results
    }

    /// An ACL's grants: grantee (URI for groups, ID for users) and permission.
    static func grants(in xml: String) -> [(grantee: String, permission: String)] {
        values(of: "Grant", in: xml).map { grant in
            (value(of: "URI", in: grant) ?? value(of: "ID", in: grant) ?? "", value(of: "Permission", in: grant) ?? "")
        }
    }

    static func decodeEntities(_ text: String) -> String {
        text.replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&apos;", with: "'")
            .replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&amp;", with: "&")
    }

    /// Escapes text for an element's content.
    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
