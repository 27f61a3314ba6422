import Foundation
import Yams

/// One entry of diskimage-builder's `package-installs.yaml` (or `.json`): a package and the options of
/// one of its mappings. A package listed with a list of mappings gives one entry per mapping.
public struct PackageInstall: Sendable, Equatable {
    /// The package name as written; the element's `pkg-map` may translate it.
    public var package: String
    /// The element whose file lists it.
    public var element: String
    /// The phase at whose start it is installed (`install.d` unless `phase:` says otherwise).
    public var phase: Phase = .install
    /// `uninstall: true`: removed at the end of the phase instead of installed.
    public var uninstall = false
    /// `build-only: true`: installed at the start of the phase and removed at its end.
    public var buildOnly = false
    /// `arch:` — only for these architectures, when set.
    public var architectures: [String]?
    /// `not-arch:` — never for these architectures.
    public var excludedArchitectures: [String]?
    /// `when:` conditions, all of which must hold.
    public var conditions: [PackageCondition] = []
    /// `installtype:` — only when the element's install type (`DIB_INSTALLTYPE_<element>`) matches.
    public var installType: String?
    /// `dib_python_version:` — only when `DIB_PYTHON_VERSION` matches.
    public var pythonVersion: String?

    public init(package: String, element: String) {
        self.package = package
        self.element = element
    }

    /// Whether the entry applies to a build for `arch` with `variables`.
    /// - Throws: `ElementError.unsetVariable` when a `when:` condition names a variable that is not set
    ///   (diskimage-builder fails the same way).
    func applies(arch: String, variables: [String: String]) throws -> Bool {
        if let architectures, !architectures.contains(where: { Self.sameArchitecture($0, arch) }) { return false }
        if let excludedArchitectures, excludedArchitectures.contains(where: { Self.sameArchitecture($0, arch) }) {
            return false
        }
        if let installType {
            let key = "DIB_INSTALLTYPE_" + element.replacingOccurrences(of: "-", with: "_")
            if (variables[key] ?? variables["DIB_DEFAULT_INSTALLTYPE"] ?? "source") != installType { return false }
        }
        if let pythonVersion, pythonVersion != variables["DIB_PYTHON_VERSION"] ?? "3" { return false }
        for condition in conditions {
            guard let value = variables[condition.variable] else {
                throw ElementError.unsetVariable(element: element, package: package, variable: condition.variable)
            }
            if !condition.holds(for: value) { return false }
        }
        return true
    }

    /// Debian's and the kernel's names for one architecture count as the same (`amd64` = `x86_64`).
    static func sameArchitecture(_ listed: String, _ arch: String) -> Bool {
        let aliases = ["x86_64": "amd64", "aarch64": "arm64", "ppc64el": "ppc64le"]
        return (aliases[listed] ?? listed) == (aliases[arch] ?? arch)
    }
}

/// A `when:` condition: `VARIABLE = value` or `VARIABLE != value`.
public struct PackageCondition: Sendable, Equatable, CustomStringConvertible {
    public var variable: String
    public var negated: Bool
    public var value: String

    public var description: String { "\(variable) \(negated ? "!=" : "=") \(value)" }

    /// Parses `text` as diskimage-builder does: a word, optional blanks, `=` or `!=`, optional blanks,
    /// the value (the rest of the line); nil when malformed.
    init?(_ text: String) {
        let scalars = Array(text.unicodeScalars)
        var index = 0
        while index < scalars.count, scalars[index].properties.isAlphabetic || scalars[index].properties.numericType != nil
            || scalars[index] == "_" { index += 1 }
        guard index > 0 else { return nil }
        variable = String(String.UnicodeScalarView(scalars[..<index]))
        while index < scalars.count, scalars[index] == " " || scalars[index] == "\t" { index += 1 }
        if index + 1 < scalars.count, scalars[index] == "!", scalars[index + 1] == "=" {
            negated = true
            index += 2
        } else if index < scalars.count, scalars[index] == "=" {
            negated = false
            index += 1
        } else {
            return nil
        }
        while index < scalars.count, scalars[index] == " " || scalars[index] == "\t" { index += 1 }
        value = String(String.UnicodeScalarView(scalars[index...]))
    }

    func holds(for actual: String) -> Bool { (actual == value) != negated }
}

extension PackageInstall {
    static let knownKeys = ["phase", "uninstall", "build-only", "arch", "not-arch", "when", "installtype", "dib_python_version"]

    /// Reads an element's `package-installs.yaml`, else its `package-installs.json`; none gives no entries.
    /// - Throws: `ElementError.badFile` naming the file, the package and what is wrong.
    static func load(element: String, directory: URL) throws -> [PackageInstall] {
        for name in ["package-installs.yaml", "package-installs.json"] {
            guard let document = try YAMLDocument.read(directory.appendingPathComponent(name)) else { continue }
            return try parse(document, element: element)
        }
        return []
    }

    static func parse(_ document: YAMLDocument, element: String) throws -> [PackageInstall] {
        guard let root = document.root, !document.isNull(root) else { return [] }
        var entries: [PackageInstall] = []
        for (name, value) in try document.pairs(try document.mapping(root, "package-installs"), "package-installs") {
            let what = "package '\(name)'"
            let optionSets: [Node?]
            if document.isNull(value) {
                optionSets = [nil]
            } else if value.mapping != nil {
                optionSets = [value]
            } else if let list = value.sequence {
                optionSets = list.map { document.isNull($0) ? nil : $0 }
            } else {
                throw document.fail("\(what): options must be a mapping or a list of mappings", at: value)
            }
            for options in optionSets {
                var entry = PackageInstall(package: name, element: element)
                if let options {
                    try entry.read(try document.mapping(options, "the options of \(what)"), document: document, what: what)
                }
                entries.append(entry)
            }
        }
        return entries
    }

    private mutating func read(_ options: Node.Mapping, document: YAMLDocument, what: String) throws {
        for (key, value) in try document.pairs(options, "the options of \(what)", known: Self.knownKeys) {
            switch key {
            case "phase":
                let text = try document.string(value, "phase")
                guard let phase = Phase(rawValue: text) else {
                    throw document.fail("\(what): unknown phase '\(text)'; use one of "
                        + Phase.packagePhases.map(\.rawValue).joined(separator: ", "), at: value)
                }
                guard phase.runsInTarget else {
                    throw document.fail("\(what): phase \(text) runs on the host, where packages cannot be installed; use one of "
                        + Phase.packagePhases.map(\.rawValue).joined(separator: ", "), at: value)
                }
                self.phase = phase
            case "uninstall": uninstall = try document.bool(value, "\(what): uninstall")
            case "build-only": buildOnly = try document.bool(value, "\(what): build-only")
            case "arch": architectures = try document.strings(value, "\(what): arch")
            case "not-arch": excludedArchitectures = try document.strings(value, "\(what): not-arch")
            case "installtype": installType = try document.string(value, "\(what): installtype")
            case "dib_python_version": pythonVersion = try document.string(value, "\(what): dib_python_version")
            case "when": conditions = try Self.conditions(value, document: document, what: what)
            default: break  // pairs(known:) already refused unknown keys
            }
        }
        if architectures != nil, excludedArchitectures != nil {
            throw document.fail("\(what): give arch or not-arch, not both")
        }
    }

    private static func conditions(_ value: Node, document: YAMLDocument, what: String) throws -> [PackageCondition] {
        let texts = try value.sequence.map { try $0.map { try document.string($0, "\(what): each when") } }
            ?? [try document.string(value, "\(what): when")]
        return try texts.map { text in
            guard let condition = PackageCondition(text) else {
                throw document.fail("\(what): malformed when '\(text)'; write VARIABLE = value or VARIABLE != value", at: value)
            }
            return condition
        }
    }
}
