import Foundation
import Yams

/// One YAML (or JSON) file of an element, read node by node so that every complaint names the file,
/// the line and the key that is wrong.
struct YAMLDocument {
    let path: String
    /// The document's root; nil for an empty file.
    let root: Node?

    /// Reads `file`; nil when it does not exist.
    /// - Throws: `ElementError.badFile` when it cannot be read or is not YAML.
    static func read(_ file: URL) throws -> YAMLDocument? {
        guard FileManager.default.fileExists(atPath: file.path) else { return nil }
        let text: String
        do {
            text = try String(contentsOf: file, encoding: .utf8)
        } catch {
            throw ElementError.badFile(path: file.path, reason: "cannot be read as UTF-8 text (\(error.localizedDescription))")
        }
        do {
            return YAMLDocument(path: file.path, root: try Yams.compose(yaml: text))
        } catch {
            throw ElementError.badFile(path: file.path, reason: "not valid YAML: \(error)")
        }
    }

    /// An error about `node` (its line, when known).
    func fail(_ reason: String, at node: Node? = nil) -> ElementError {
        let line = node?.mark.map { "line \($0.line): " } ?? ""
        return ElementError.badFile(path: path, reason: line + reason)
    }

    /// Whether `node` is YAML's null (`key:` with nothing after it, `~`, `null`).
    func isNull(_ node: Node) -> Bool {
        guard case .scalar(let scalar) = node else { return false }
        return scalar.style == .plain && node.null != nil
    }

    func mapping(_ node: Node, _ what: String) throws -> Node.Mapping {
        guard let mapping = node.mapping else { throw fail("\(what) must be a mapping", at: node) }
        return mapping
    }

    func string(_ node: Node, _ what: String) throws -> String {
        guard case .scalar(let scalar) = node else { throw fail("\(what) must be a single value", at: node) }
        return scalar.string
    }

    /// A list of strings: a YAML sequence, or one comma-separated scalar (`arch: amd64, i386`).
    func strings(_ node: Node, _ what: String) throws -> [String] {
        if let sequence = node.sequence {
            return try sequence.map { try string($0, "each item of \(what)") }
        }
        return try string(node, what).split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
    }

    func bool(_ node: Node, _ what: String) throws -> Bool {
        guard let value = node.bool else { throw fail("\(what) must be true or false", at: node) }
        return value
    }

    func int(_ node: Node, _ what: String) throws -> Int {
        guard let value = node.int else { throw fail("\(what) must be a whole number", at: node) }
        return value
    }

    /// The pairs of `mapping` with string keys; an unknown key is an error naming the known ones.
    func pairs(_ mapping: Node.Mapping, _ what: String, known: [String]? = nil) throws -> [(key: String, value: Node)] {
        try mapping.map { key, value in
            let name = try string(key, "a key of \(what)")
            if let known, !known.contains(name) {
                throw fail("unknown key '\(name)' in \(what); known keys: \(known.joined(separator: ", "))", at: key)
            }
            return (name, value)
        }
    }
}
