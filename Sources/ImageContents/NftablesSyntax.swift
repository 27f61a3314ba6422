/// nftables' configuration syntax (`nft -f`), as far as finding the input rules needs: statements ended by a
/// newline or `;`, blocks (`table inet filter { … }`), anonymous sets (`{ 22, 80 }`), quoted strings,
/// `#` comments and `\` line continuations. Nothing is checked: a file nft would refuse still parses.
enum NftablesSyntax {
    /// A piece of a statement.
    indirect enum Element: Equatable {
        case word(String)
        /// A quoted string, without its quotes.
        case string(String)
        /// An anonymous set: its items, each one or more elements (`10.0.0.1 . 22`).
        case set([[Element]])

        /// The element as written, e.g. `{ 10.0.0.0/8, 192.168.0.0/16 }`.
        var text: String {
            switch self {
            case .word(let word): word
            case .string(let string): "\"\(string)\""
            case .set(let items): "{ " + items.map(NftablesSyntax.text).joined(separator: ", ") + " }"
            }
        }
    }

    /// A statement, or a block with the header that opens it.
    indirect enum Node: Equatable {
        case statement([Element])
        case block(header: [Element], body: [Node])
    }

    /// The statements and blocks of `text`.
    static func parse(_ text: String) -> [Node] {
        var parser = Parser(tokens: tokens(text))
        return parser.nodes()
    }

    /// Elements as written, apart by spaces.
    static func text(_ elements: [Element]) -> String { elements.map(\.text).joined(separator: " ") }

    private enum Token: Equatable {
        case word(String), string(String), open, close, end
    }

    private static func tokens(_ text: String) -> [Token] {
        var tokens: [Token] = []
        var word = ""
        func endWord() {
            if !word.isEmpty { tokens.append(.word(word)) }
            word = ""
        }
        let characters = Array(text)
        var index = 0
        while index < characters.count {
            let character = characters[index]
            index += 1
            switch character {
            case "#":
                endWord()
                while index < characters.count, characters[index] != "\n" { index += 1 }
            case "\"":
                endWord()
                var string = ""
                while index < characters.count, characters[index] != "\"" {
                    string.append(characters[index])
                    index += 1
                }
                index += 1
                tokens.append(.string(string))
            case "\\" where index < characters.count && characters[index] == "\n":
                endWord()
                index += 1
            case "\n", ";":
                endWord()
                tokens.append(.end)
            case "{":
                endWord()
                tokens.append(.open)
            case "}":
                endWord()
                tokens.append(.close)
            case _ where character.isWhitespace:
                endWord()
            default:
                word.append(character)
            }
        }
        endWord()
        return tokens
    }

    private struct Parser {
        let tokens: [Token]
        var position = 0

        /// Statements and blocks up to the `}` that closes the current block, or the end.
        mutating func nodes() -> [Node] {
            var nodes: [Node] = []
            var statement: [Element] = []
            func endStatement() {
                if !statement.isEmpty { nodes.append(.statement(statement)) }
                statement = []
            }
            while position < tokens.count {
                let token = tokens[position]
                position += 1
                switch token {
                case .word(let word): statement.append(.word(word))
                case .string(let string): statement.append(.string(string))
                case .end: endStatement()
                case .open where Self.opensBlock(statement):
                    nodes.append(.block(header: statement, body: self.nodes()))
                    statement = []
                case .open: statement.append(.set(setItems()))
                case .close:
                    endStatement()
                    return nodes
                }
            }
            endStatement()
            return nodes
        }

        /// The items of an anonymous set up to its `}`: commas part them, newlines do not.
        mutating func setItems() -> [[Element]] {
            var items: [[Element]] = []
            var item: [Element] = []
            func endItem() {
                if !item.isEmpty { items.append(item) }
                item = []
            }
            while position < tokens.count {
                let token = tokens[position]
                position += 1
                switch token {
                case .word(let word):
                    let pieces = word.split(separator: ",", omittingEmptySubsequences: false)
                    for (number, piece) in pieces.enumerated() {
                        if !piece.isEmpty { item.append(.word(String(piece))) }
                        if number < pieces.count - 1 { endItem() }
                    }
                case .string(let string): item.append(.string(string))
                case .open: item.append(.set(setItems()))
                case .end: continue
                case .close:
                    endItem()
                    return items
                }
            }
            endItem()
            return items
        }

        /// Whether a `{` after `header` opens a block (a table, chain, named set, map or flowtable) rather than
        /// an anonymous set (`ct state { established, related }`).
        static func opensBlock(_ header: [Element]) -> Bool {
            var words = header.compactMap { if case .word(let word) = $0 { word } else { nil } }
            if ["add", "create"].contains(words.first) { words.removeFirst() }
            return ["table", "chain", "set", "map", "flowtable"].contains(words.first)
        }
    }
}
