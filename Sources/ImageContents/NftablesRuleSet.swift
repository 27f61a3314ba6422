import Foundation

/// The chains and rules a set of nftables files declares, read the way `nft -f /etc/nftables.conf` loads them:
/// `include` followed (globs sorted, as nft does), `define` substituted, `flush ruleset` forgetting what came
/// before; `add rule` lines and rules inside `chain` blocks alike.
struct NftablesRuleSet {
    /// A chain by family, table and name.
    struct Chain: Hashable {
        let family: String
        let table: String
        let name: String
    }

    /// The hook each base chain is on (`input`, `forward`…).
    private(set) var hooks: [Chain: String] = [:]
    /// The policy of the base chains that set one.
    private(set) var policies: [Chain: String] = [:]
    /// Every rule in order, with its chain.
    private(set) var rules: [(chain: Chain, elements: [NftablesSyntax.Element])] = []
    private var defines: [String: [NftablesSyntax.Element]] = [:]
    /// The files that `include` can reach: absolute path → contents.
    private let files: [String: String]

    private static let families: Set = ["ip", "ip6", "inet", "arp", "bridge", "netdev"]
    /// Deeper includes than this are taken for a loop (nft itself stops at 16).
    private static let includeDepth = 16

    /// Reads `entry` (e.g. `/etc/nftables.conf`) and what it includes from `files`.
    init(entry: String, files: [String: String]) {
        self.files = files
        read(NftablesSyntax.parse(files[entry] ?? ""), table: nil, chain: nil, depth: 0)
    }

    /// The base chains hooked on input: what decides which packets reach the machine.
    var inputChains: Set<Chain> { Set(hooks.filter { $0.value == "input" }.keys) }

    private mutating func read(_ nodes: [NftablesSyntax.Node], table: (family: String, name: String)?, chain: Chain?, depth: Int) {
        for node in nodes {
            switch node {
            case .block(let header, let body):
                var words = Self.words(header)
                if ["add", "create"].contains(words.first) { words.removeFirst() }
                if words.first == "table", let name = words.last, words.count <= 3 {
                    read(body, table: (words.count == 3 ? words[1] : "ip", name), chain: nil, depth: depth)
                } else if words.first == "chain", let named = self.chain(Array(words.dropFirst()), in: table) {
                    read(body, table: (named.family, named.table), chain: named, depth: depth)
                }
            case .statement(let elements):
                read(elements, table: table, chain: chain, depth: depth)
            }
        }
    }

    private mutating func read(_ statement: [NftablesSyntax.Element], table: (family: String, name: String)?, chain: Chain?, depth: Int) {
        let words = Self.words(statement)
        switch words.first {
        case "include":
            guard depth < Self.includeDepth, case .string(let pattern) = statement.dropFirst().first else { return }
            for path in included(pattern) {
                read(NftablesSyntax.parse(files[path] ?? ""), table: table, chain: chain, depth: depth + 1)
            }
        case "flush" where words.dropFirst().first == "ruleset":
            hooks = [:]
            policies = [:]
            rules = []
        case "define" where words.count >= 3 && words[2] == "=":
            defines[words[1]] = substituted(Array(statement.dropFirst(3)))
        case "type" where chain != nil:
            if let hook = words.firstIndex(of: "hook"), hook + 1 < words.count, let chain { hooks[chain] = words[hook + 1] }
        case "policy" where chain != nil && words.count > 1:
            if let chain { policies[chain] = words[1] }
        case "add", "insert":
            let named = Array(words.dropFirst(2))
            guard words.dropFirst().first == "rule", let target = self.chain(named, in: nil) else { return }
            let family = Self.families.contains(named.first ?? "") ? 1 : 0
            rules.append((target, substituted(Array(statement.dropFirst(2 + family + 2)))))
        default:
            if let chain { rules.append((chain, substituted(statement))) }
        }
    }

    /// The chain `words` name: `NAME` inside a table block, else `[FAMILY] TABLE NAME` (family `ip` when left out).
    private func chain(_ words: [String], in table: (family: String, name: String)?) -> Chain? {
        if let table, let name = words.first { return Chain(family: table.family, table: table.name, name: name) }
        if words.count >= 3, Self.families.contains(words[0]) { return Chain(family: words[0], table: words[1], name: words[2]) }
        if words.count >= 2 { return Chain(family: "ip", table: words[0], name: words[1]) }
        return nil
    }

    /// The files an `include` pattern names: a relative one is under /etc (nft's include path).
    private func included(_ pattern: String) -> [String] {
        let absolute = pattern.hasPrefix("/") ? pattern : "/etc/" + pattern
        return files.keys.filter { fnmatch(absolute, $0, FNM_PATHNAME) == 0 }.sorted()
    }

    /// `statement` with each `$NAME` replaced by what `define NAME = …` gave it.
    private func substituted(_ statement: [NftablesSyntax.Element]) -> [NftablesSyntax.Element] {
        statement.flatMap { element -> [NftablesSyntax.Element] in
            switch element {
            case .word(let word) where word.hasPrefix("$"): defines[String(word.dropFirst())] ?? [element]
            case .set(let items): [.set(items.map(substituted))]
            default: [element]
            }
        }
    }

    private static func words(_ elements: [NftablesSyntax.Element]) -> [String] {
        elements.compactMap { if case .word(let word) = $0 { word } else { nil } }
    }
}
