import Foundation

/// Reads the licenses of Debian's copyright files into SPDX license expressions: short names become SPDX
/// identifiers (`LicenseNames`), `and`/`or`/`with` become `AND`/`OR`/`WITH`, a comma groups what stands before
/// it (`GPL-2+ or Artistic-2.0, and BSD-3-clause` is `(GPL-2.0-or-later OR Artistic-2.0) AND BSD-3-Clause`).
/// A name SPDX has no identifier for becomes a `LicenseRef-` of the document, kept in `references`.
struct LicenseTranslator {
    /// The `LicenseRef-` identifiers given so far, each with the Debian name it stands for.
    private(set) var references: [String: String] = [:]
    /// Each field read so far and its expression: a package's copyright file may name one license thousands of times.
    private var translated: [String: String?] = [:]

    /// The license a package declares whose copyright file gives `licenses` (one per `Files` paragraph): the
    /// `AND` of their expressions; nil (SPDX's NOASSERTION) when there are none, or one is not an expression
    /// of license names (free text where the name belongs).
    mutating func declared(_ licenses: [String]) -> String? {
        var expressions: [String] = []
        for license in licenses {
            guard let expression = expression(license) else { return nil }
            if !expressions.contains(expression) { expressions.append(expression) }
        }
        if expressions.count == 1 { return expressions[0] }
        return expressions.isEmpty ? nil : expressions.map(Self.grouped).joined(separator: " AND ")
    }

    /// The SPDX expression of one Debian `License` field's first line, or nil when it is not one.
    mutating func expression(_ synopsis: String) -> String? {
        if let known = translated[synopsis] { return known }
        let expression = translate(synopsis)
        translated[synopsis] = .some(expression)
        return expression
    }

    private mutating func translate(_ synopsis: String) -> String? {
        var tokens = synopsis.replacingOccurrences(of: ",", with: " , ").split(whereSeparator: \.isWhitespace).map(String.init)[...]
        var result: String?
        var joining: String?
        var part = ""
        while true {
            guard let name = tokens.popFirst(), name != ",", Self.operator(name) == nil else { return nil }
            var exception: [String] = []
            if tokens.first?.lowercased() == "with" {
                tokens.removeFirst()
                while let word = tokens.first, word != ",", Self.operator(word) == nil { exception.append(tokens.removeFirst()) }
                if exception.isEmpty { return nil }
            }
            part += term(name, exception: exception)
            guard let next = tokens.popFirst() else { break }
            if let op = Self.operator(next) {
                part += " \(op) "
                continue
            }
            guard next == ",", let op = tokens.popFirst().flatMap(Self.operator) else { return nil }
            result = Self.joined(result, joining, part)
            (joining, part) = (op, "")
        }
        return Self.joined(result, joining, part)
    }

    /// `name` (with the exception's words, if any) as an SPDX term.
    private mutating func term(_ name: String, exception: [String]) -> String {
        guard let license = LicenseNames.spdxID(name) else {
            return reference(([name] + (exception.isEmpty ? [] : ["with"] + exception)).joined(separator: " "))
        }
        if exception.isEmpty { return license }
        guard let id = LicenseNames.spdxException(exception, for: license) else {
            return reference(([name, "with"] + exception).joined(separator: " "))
        }
        return "\(license) WITH \(id)"
    }

    /// The `LicenseRef-` standing for `name`: its letters, digits, `.` and `-`, the rest as `-` (`+` as
    /// `-plus`); a number added when another name already has that identifier.
    private mutating func reference(_ name: String) -> String {
        let letters = name.replacingOccurrences(of: "+", with: "-plus").map { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == ".") ? $0 : "-" }
        let base = "LicenseRef-" + String(letters)
        var id = base
        var number = 1
        // SPDX compares identifiers without regard to case.
        while let other = references.first(where: { $0.key.lowercased() == id.lowercased() }), other.value != name {
            number += 1
            id = "\(base)-\(number)"
        }
        references[id] = name
        return id
    }

    private static func `operator`(_ word: String) -> String? {
        switch word.lowercased() {
        case "and": "AND"
        case "or": "OR"
        default: nil
        }
    }

    /// `expression` in parentheses when it joins terms with `AND` or `OR`.
    private static func grouped(_ expression: String) -> String {
        expression.contains(" AND ") || expression.contains(" OR ") ? "(\(expression))" : expression
    }

    private static func joined(_ left: String?, _ op: String?, _ right: String) -> String {
        guard let left, let op else { return right }
        return "\(grouped(left)) \(op) \(grouped(right))"
    }
}
