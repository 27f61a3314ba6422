import Yams

/// YAML that may hold secrets — clouds.yaml, secure.yaml, cloud-config user-data — read as `Yams.load` reads
/// it, except that a syntax error says where and what only. Yams' own message quotes the offending line, and
/// in these files that line can be the one with the password.
public enum PrivateYAML {
    /// A document that is not YAML: where the parser stopped and why, without the document's text.
    public struct SyntaxError: Error, CustomStringConvertible, Sendable, Equatable {
        /// 1-based line and column of the problem; nil when the parser gave no position.
        public var line: Int?
        public var column: Int?
        /// What the parser found wrong, e.g. `found unexpected end of stream`.
        public var problem: String

        public var description: String {
            guard let line, let column else { return problem }
            return "line \(line), column \(column): \(problem)"
        }
    }

    /// The document in `text` as `Yams.load(yaml:)` gives it; nil for an empty document.
    /// - Throws: `PrivateYAML.SyntaxError`.
    public static func load(_ text: String) throws(SyntaxError) -> Any? {
        do {
            return try Yams.load(yaml: text)
        } catch let error as YamlError {
            throw SyntaxError(error)
        } catch {
            throw SyntaxError(line: nil, column: nil, problem: "not readable as YAML")
        }
    }
}

extension PrivateYAML.SyntaxError {
    /// The position and problem of `error`; its `yaml` (the whole document) is left behind.
    init(_ error: YamlError) {
        switch error {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
             .composer(let context, let problem, let mark, _):
            let during = context.map { " (\($0.text) at line \($0.mark.line), column \($0.mark.column))" } ?? ""
            self.init(line: mark.line, column: mark.column, problem: problem + during)
        case .reader(let problem, let offset, _, _):
            self.init(line: nil, column: nil, problem: problem + (offset.map { " at character \($0)" } ?? ""))
        case .duplicatedKeysInMapping(let keys, let context):
            self.init(line: context.mark.line, column: context.mark.column,
                      problem: "duplicate keys \(keys.sorted().joined(separator: ", "))")
        default:
            self.init(line: nil, column: nil, problem: "\(error)")
        }
    }
}
