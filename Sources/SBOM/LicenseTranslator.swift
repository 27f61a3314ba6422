import Foundation

/// Reads the licenses of Debian's copyright files into SPDX license expressions: short names become SPDX
/// identifiers (`LicenseNames`), `and`/`or`/`with` become `AND`/`OR`/`WITH`, a comma groups what stands before
/// it (`GPL-2+ or Artistic-2.0, and BSD-3-clause` is `(GPL-2.0-or-later OR Artistic-2.0) AND BSD-3-Clause`).
/// A name SPDX has no identifier for, and a license given by its text alone, become a `LicenseRef-` of the
/// document, kept in `references`.
struct LicenseTranslator {
    /// The `LicenseRef-` identifiers given so far, each with its name and text.
    private(set) var references: [String: SPDXDocument.ExtractedLicense] = [:]
    /// Each first line read so far and its expression: a copyright file may name one license thousands of times.
    private var translated: [String: String?] = [:]

    /// The license a package built from `source` declares whose copyright file gives `licenses` (the `License`
    /// field of each `Files` paragraph): the `AND` of their expressions. A field whose first line is not an
    /// expression of license names (it is empty, or free text) stands for the license its lines give, under
    /// a `LicenseRef-` of `source`. Nil (SPDX's NOASSERTION) when there are no fields, or one is empty.
    mutating func declared(_ licenses: [String], source: String) -> String? {
        var expressions: [String] = []
        for license in licenses {
            let field = license.trimmingCharacters(in: .whitespacesAndNewlines)
            let synopsis = license.prefix { $0 != "\n" }.trimmingCharacters(in: .whitespaces)
            guard let expression = expression(synopsis) ?? (field.isEmpty ? nil : text(field, synopsis: synopsis, source: source))
            else { return nil }
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
        guard let parts = Self.parse(synopsis) else { return nil }
        var result: String?
        for part in parts {
            let terms = part.terms.map { ($0.operator.map { " \($0) " } ?? "") + term($0.name, exception: $0.exception) }
            result = Self.joined(result, part.joining, terms.joined())
        }
        return result
    }

    /// One license name in an expression, the operator before it (none for the first), the exception after it.
    private typealias Term = (operator: String?, name: String, exception: [String])

    /// `synopsis` cut into its parts between commas, each joined to the one before by `AND` or `OR`; nil when it
    /// is not an expression of license names. Nothing is registered until the whole line has been read.
    private static func parse(_ synopsis: String) -> [(joining: String?, terms: [Term])]? {
        var tokens = synopsis.replacingOccurrences(of: ",", with: " , ").split(whereSeparator: \.isWhitespace).map(String.init)[...]
        var parts: [(joining: String?, terms: [Term])] = [(nil, [])]
        var before: String?
        while true {
            guard let name = tokens.popFirst(), name != ",", Self.operator(name) == nil else { return nil }
            var exception: [String] = []
            if tokens.first?.lowercased() == "with" {
                tokens.removeFirst()
                while let word = tokens.first, word != ",", Self.operator(word) == nil { exception.append(tokens.removeFirst()) }
                if exception.isEmpty { return nil }
            }
            parts[parts.count - 1].terms.append((before, name, exception))
            guard let next = tokens.popFirst() else { return parts }
            before = Self.operator(next)
            if before != nil { continue }
            guard next == ",", let joining = tokens.popFirst().flatMap(Self.operator) else { return nil }
            parts.append((joining, []))
        }
    }

    /// `name` (with the exception's words, if any) as an SPDX term.
    private mutating func term(_ name: String, exception: [String]) -> String {
        guard let license = LicenseNames.spdxID(name) else {
            return named(([name] + (exception.isEmpty ? [] : ["with"] + exception)).joined(separator: " "))
        }
        if exception.isEmpty { return license }
        guard let id = LicenseNames.spdxException(exception, for: license) else {
            return named(([name, "with"] + exception).joined(separator: " "))
        }
        return "\(license) WITH \(id)"
    }

    /// The `LicenseRef-` of a Debian license name SPDX has no identifier for: one for each name, whose text is
    /// in the copyright files of the packages that name it.
    private mutating func named(_ name: String) -> String {
        reference(
            base: name, name: name,
            text: "\"\(name)\" is how Debian's machine-readable copyright files name this license; its text is in "
                + "/usr/share/doc/PACKAGE/copyright of each package that declares it.")
    }

    /// The `LicenseRef-` of a license a copyright file of `source` gives by its text (`field`, whose first line
    /// is `synopsis`): `LicenseRef-SOURCE-license`, one for each text.
    private mutating func text(_ field: String, synopsis: String, source: String) -> String {
        let name = synopsis.isEmpty ? "a license without a short name" : "\"\(synopsis)\""
        return reference(base: "\(source)-license", name: "\(name) in the copyright file of \(source)", text: field)
    }

    /// The identifier of the license `name` with `text`: the one it already has, or a new one from `base` (its
    /// letters, digits, `.` and `-`, the rest as `-`, `+` as `-plus`), with a number added when another license
    /// already has that identifier.
    private mutating func reference(base: String, name: String, text: String) -> String {
        if let known = references.values.first(where: { $0.name == name && $0.extractedText == text }) { return known.licenseId }
        let letters = base.replacingOccurrences(of: "+", with: "-plus").map { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == ".") ? $0 : "-" }
        let base = "LicenseRef-" + String(letters)
        var (id, number) = (base, 1)
        // SPDX compares identifiers without regard to case.
        while references.keys.contains(where: { $0.lowercased() == id.lowercased() }) {
            number += 1
            id = "\(base)-\(number)"
        }
        references[id] = SPDXDocument.ExtractedLicense(licenseId: id, name: name, extractedText: text)
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
