import ClienteleCore
import ClienteleModel
import ClienteleSpec

/// Parses rule expressions:
///
///     expr    := or
///     or      := and ("or" and)*
///     and     := not ("and" not)*
///     not     := "not" not | compare
///     compare := primary (("==" | "!=" | "<" | "<=" | ">" | ">=" | "in" | "contains") primary)?
///     primary := literal | path | call | "[" list "]" | "(" expr ")"
package struct ExpressionParser {
    enum Token: Equatable {
        case identifier(String)
        case string(String)
        case number(Double, text: String)
        case duration(Double, text: String)
        case symbol(String)
        case end
    }

    private let characters: [Character]
    private var tokens: [(token: Token, offset: Int)] = []
    private var position = 0
    /// How deep the tree is at the current token: `not`s, parentheses, lists, calls,
    /// and the terms of `and`/`or` chains (each one a level of the left-deep tree).
    private var depth = 0

    /// The longest expression read, in characters: enough for any rule a person writes.
    package static let maximumLength = 65_536
    /// The deepest tree: every later stage walks it recursively, within a thread's stack.
    package static let maximumDepth = 256

    /// Parses `text`; the offsets in the result and in errors count characters of `text`.
    /// Linear in the length; refuses more than `maximumLength` characters and trees
    /// deeper than `maximumDepth`, each with its place.
    package static func parse(_ text: String) throws(ExpressionError) -> Syntax {
        let characters = Array(text)
        guard characters.count <= maximumLength else {
            throw ExpressionError(
                "the expression is \(characters.count) characters long, more than the \(maximumLength) allowed; split it into several rules",
                at: maximumLength)
        }
        var parser = ExpressionParser(characters: characters)
        try parser.tokenize()
        let result = try parser.expression()
        if case (let token, let offset) = parser.tokens[parser.position], token != .end {
            throw ExpressionError("unexpected \(Self.describe(token)) after the end of the expression", at: offset)
        }
        return result
    }

    private init(characters: [Character]) {
        self.characters = characters
    }

    static func describe(_ token: Token) -> String {
        switch token {
        case .identifier(let s): return "'\(s)'"
        case .string(let s): return "text \"\(s)\""
        case .number(_, let text), .duration(_, let text): return "'\(text)'"
        case .symbol(let s): return "'\(s)'"
        case .end: return "the end of the expression"
        }
    }

    // MARK: - Tokens

    private mutating func tokenize() throws(ExpressionError) {
        var i = 0
        let c = characters
        while i < c.count {
            let ch = c[i]
            if ch.isWhitespace {
                i += 1
                continue
            }
            let start = i
            if ch == "\"" || ch == "'" {
                var value = ""
                i += 1
                var closed = false
                while i < c.count {
                    if c[i] == ch {
                        closed = true
                        i += 1
                        break
                    }
                    if c[i] == "\\", i + 1 < c.count {
                        let e = c[i + 1]
                        switch e {
                        case "n": value.append("\n")
                        case "t": value.append("\t")
                        default: value.append(e)
                        }
                        i += 2
                        continue
                    }
                    value.append(c[i])
                    i += 1
                }
                if !closed { throw ExpressionError("this text is not closed: add a \(ch) at its end", at: start) }
                tokens.append((.string(value), start))
                continue
            }
            if ch.isASCII && ch.isNumber
                || (ch == "-" && i + 1 < c.count && c[i + 1].isASCII && c[i + 1].isNumber
                    && Self.allowsSign(tokens.last?.token))
            {
                i += 1
                while i < c.count, c[i].isASCII, c[i].isNumber || c[i] == "." { i += 1 }
                let text = String(c[start..<i])
                guard let value = Double(text) else { throw ExpressionError("'\(text)' is not a number", at: start) }
                let unit: Character? = i < c.count && (c[i] == "d" || c[i] == "h" || c[i] == "m") ? c[i] : nil
                let unitEndsWord = i + 1 >= c.count || !(c[i + 1].isLetter || c[i + 1].isNumber)
                if let unit, unitEndsWord {
                    i += 1
                    let days: Double = unit == "d" ? value : unit == "h" ? value / 24 : value / 1440
                    tokens.append((.duration(days, text: text + String(unit)), start))
                } else {
                    if i < c.count, c[i].isLetter {
                        throw ExpressionError(
                            "'\(String(c[start...i]))' is not a number; a duration ends in d, h or m (30d)", at: start)
                    }
                    tokens.append((.number(value, text: text), start))
                }
                continue
            }
            if ch.isLetter || ch == "_" {
                i += 1
                while i < c.count,
                    c[i].isLetter || c[i].isNumber || c[i] == "_"
                        || (c[i] == "-" && i + 1 < c.count && c[i + 1].isLetter)
                { i += 1 }
                tokens.append((.identifier(String(c[start..<i])), start))
                continue
            }
            let two = i + 1 < c.count ? String(c[i...i + 1]) : ""
            if ["==", "!=", "<=", ">=", "&&", "||"].contains(two) {
                if two == "&&" || two == "||" {
                    throw ExpressionError("write '\(two == "&&" ? "and" : "or")' instead of '\(two)'", at: start)
                }
                tokens.append((.symbol(two), start))
                i += 2
                continue
            }
            if "<>()[],.:".contains(ch) {
                tokens.append((.symbol(String(ch)), start))
                i += 1
                continue
            }
            if ch == "=" { throw ExpressionError("write '==' to compare; a single '=' is not an operator", at: start) }
            if ch == "!" { throw ExpressionError("write 'not' instead of '!'", at: start) }
            throw ExpressionError("unexpected character '\(ch)'", at: start)
        }
        tokens.append((.end, c.count))
    }

    private static func allowsSign(_ previous: Token?) -> Bool {
        switch previous {
        case nil, .symbol("("), .symbol("["), .symbol(","), .symbol(":"), .symbol("=="), .symbol("!="), .symbol("<"),
            .symbol("<="),
            .symbol(">"), .symbol(">="), .identifier("in"), .identifier("and"), .identifier("or"), .identifier("not"),
            .identifier("contains"):
            return true
        default:
            return false
        }
    }

    // MARK: - Grammar

    private var current: Token { tokens[position].token }
    private var offset: Int { tokens[position].offset }

    private mutating func advance() { if position < tokens.count - 1 { position += 1 } }

    private func isKeyword(_ word: String) -> Bool { current == .identifier(word) }

    private mutating func expect(_ symbol: String, _ context: String) throws(ExpressionError) {
        guard current == .symbol(symbol) else {
            throw ExpressionError("expected '\(symbol)' \(context), found \(Self.describe(current))", at: offset)
        }
        advance()
    }

    /// One level deeper; refused past `maximumDepth`.
    private mutating func descend() throws(ExpressionError) {
        depth += 1
        guard depth <= Self.maximumDepth else {
            throw ExpressionError(
                "the expression nests more than \(Self.maximumDepth) levels deep (not, parentheses, lists, calls and chained and/or terms); split it into several rules, or use 'in [...]' for a long list of alternatives",
                at: offset)
        }
    }

    private mutating func expression() throws(ExpressionError) -> Syntax {
        let entered = depth
        defer { depth = entered }
        var lhs = try conjunction()
        while isKeyword("or") {
            try descend()
            advance()
            lhs = .binary(.or, lhs, try conjunction(), at: lhs.offset)
        }
        return lhs
    }

    private mutating func conjunction() throws(ExpressionError) -> Syntax {
        let entered = depth
        defer { depth = entered }
        var lhs = try negation()
        while isKeyword("and") {
            try descend()
            advance()
            lhs = .binary(.and, lhs, try negation(), at: lhs.offset)
        }
        return lhs
    }

    private mutating func negation() throws(ExpressionError) -> Syntax {
        // `not not not ...` is read in a loop, so no input can exhaust the stack here.
        var nots: [Int] = []
        while isKeyword("not") {
            try descend()
            nots.append(offset)
            advance()
        }
        var result = try comparison()
        for at in nots.reversed() { result = .not(result, at: at) }
        depth -= nots.count
        return result
    }

    private static let comparisons: [String: Syntax.BinaryOperator] = [
        "==": .equal, "!=": .notEqual, "<": .less, "<=": .lessOrEqual, ">": .greater, ">=": .greaterOrEqual,
    ]

    private mutating func comparison() throws(ExpressionError) -> Syntax {
        let lhs = try primary()
        var op: Syntax.BinaryOperator?
        switch current {
        case .symbol(let s): op = Self.comparisons[s]
        case .identifier("in"): op = .in
        case .identifier("contains"): op = .contains
        default: break
        }
        guard let op else { return lhs }
        advance()
        let rhs = try primary()
        if case .symbol(let s) = current, Self.comparisons[s] != nil {
            throw ExpressionError("comparisons cannot be chained; join them with 'and'", at: offset)
        }
        return .binary(op, lhs, rhs, at: lhs.offset)
    }

    private static let reserved: Set<String> = ["and", "or", "not", "in", "contains"]

    private mutating func primary() throws(ExpressionError) -> Syntax {
        let at = offset
        switch current {
        case .string(let s):
            advance()
            return .literal(.string(s), at: at)
        case .number(let v, _):
            advance()
            return .literal(.number(v), at: at)
        case .duration(let v, let text):
            advance()
            return .literal(.duration(v, text: text), at: at)
        case .symbol("("):
            try descend()
            defer { depth -= 1 }
            advance()
            let inner = try expression()
            try expect(")", "to close the '(' opened at character \(at + 1)")
            return inner
        case .symbol("["):
            try descend()
            defer { depth -= 1 }
            advance()
            var items: [Syntax] = []
            if current != .symbol("]") {
                while true {
                    items.append(try primary())
                    if current == .symbol(",") {
                        advance()
                        continue
                    }
                    break
                }
            }
            try expect("]", "to close the list")
            return .list(items, at: at)
        case .identifier(let name):
            if Self.reserved.contains(name) {
                throw ExpressionError("'\(name)' needs a value before it", at: at)
            }
            advance()
            switch name {
            case "true": return .literal(.bool(true), at: at)
            case "false": return .literal(.bool(false), at: at)
            case "null": return .literal(.null, at: at)
            default: break
            }
            if current == .symbol("(") {
                try descend()
                defer { depth -= 1 }
                advance()
                var arguments: [Syntax.Argument] = []
                if current != .symbol(")") {
                    while true {
                        var label: String?
                        if case .identifier(let l) = current, tokens[position + 1].token == .symbol(":") {
                            label = l
                            advance()
                            advance()
                        }
                        arguments.append(Syntax.Argument(label: label, value: try expression()))
                        if current == .symbol(",") {
                            advance()
                            continue
                        }
                        break
                    }
                }
                try expect(")", "to close the arguments of \(name)(")
                return .call(name, arguments, at: at)
            }
            var path = [name]
            while current == .symbol(".") {
                advance()
                guard case .identifier(let next) = current else {
                    throw ExpressionError("expected a name after '.', found \(Self.describe(current))", at: offset)
                }
                path.append(next)
                advance()
            }
            return .path(path, at: at)
        case .end:
            throw ExpressionError("the expression ends where a value was expected", at: at)
        default:
            throw ExpressionError("unexpected \(Self.describe(current)) where a value was expected", at: at)
        }
    }
}
