public import Foundation
import Yams

/// One entry of diskimage-builder's `package-installs.yaml`.
public struct PackageInstall: Sendable, Equatable {
    public var package: String
    public var phase: Phase = .install
    public var uninstall = false
    /// Only for these architectures (`arch: amd64, i386`), when set.
    public var architectures: [String]?
    /// Never for these architectures (`not-arch:`).
    public var excludedArchitectures: [String] = []
    /// `when: VAR = value` / `VAR != value` conditions, all of which must hold.
    public var conditions: [String] = []
    /// `installtype: package|source`: only installed when the element's install type matches.
    public var installType: String?

    /// Whether this entry applies to a build for `arch` with `variables`.
    func applies(arch: String, variables: [String: String], element: String) -> Bool {
        if let architectures, !architectures.contains(arch) { return false }
        if excludedArchitectures.contains(arch) { return false }
        if let installType {
            let key = "DIB_INSTALLTYPE_" + element.replacingOccurrences(of: "-", with: "_")
            if (variables[key] ?? "package") != installType { return false }
        }
        return conditions.allSatisfy { condition in
            let negated = condition.contains("!=")
            let parts = condition.components(separatedBy: negated ? "!=" : "=")
            guard parts.count == 2 else { return false }
            let value = variables[parts[0].trimmingCharacters(in: .whitespaces)] ?? ""
            return (value == parts[1].trimmingCharacters(in: .whitespaces)) != negated
        }
    }

    /// Parses a `package-installs.yaml`.
    static func load(from file: URL) throws -> [PackageInstall] {
        guard let text = try? String(contentsOf: file, encoding: .utf8) else { return [] }
        let fail = { (reason: String) in ElementError.badFile(path: file.path, reason: reason) }
        let node: Node?
        do { node = try Yams.compose(yaml: text) } catch { throw fail("not valid YAML: \(error)") }
        guard let node else { return [] }
        guard let mapping = node.mapping else { throw fail("must map package names to options") }
        var result: [PackageInstall] = []
        for (key, value) in mapping {
            guard let name = key.string, !name.isEmpty else { throw fail("a package name must be a string") }
            let optionSets: [Node.Mapping]
            if value.null != nil || value.scalar?.string == "" {
                optionSets = [[:]]
            } else if let options = value.mapping {
                optionSets = [options]
            } else if let list = value.sequence {
                optionSets = try list.map { item in
                    guard let options = item.mapping else { throw fail("\(name): list items must be mappings") }
                    return options
                }
            } else {
                throw fail("\(name): options must be a mapping or a list of mappings")
            }
            for options in optionSets {
                result.append(try parse(name, options, fail: fail))
            }
        }
        return result
    }

    private static func parse(_ name: String, _ options: Node.Mapping, fail: (String) -> ElementError) throws -> PackageInstall {
        var entry = PackageInstall(package: name)
        for (key, value) in options {
            let text = value.string ?? ""
            switch key.string ?? "" {
            case "phase":
                guard let phase = Phase(rawValue: text) else {
                    throw fail("\(name): unknown phase '\(text)'; use one of \(Phase.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                entry.phase = phase
            case "uninstall": entry.uninstall = value.bool ?? (text == "true")
            case "arch": entry.architectures = list(text)
            case "not-arch": entry.excludedArchitectures = list(text)
            case "when":
                entry.conditions = value.sequence?.compactMap(\.string) ?? [text]
            case "installtype": entry.installType = text
            case "build-only", "dib_python_version":
                continue
            case let other:
                throw fail("\(name): unknown key '\(other)'")
            }
        }
        return entry
    }

    private static func list(_ text: String) -> [String] {
        text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }
}
