import ClienteleCore
import ClienteleSpec

/// A field's `pattern:`, compiled to a Thompson NFA and run as a Pike VM: a value is
/// matched in time linear in its length, whatever the pattern (`(a+)+$` included), and
/// the pattern always matches the whole value.
///
/// The syntax is the common part of regular expressions: literals, `.`, classes
/// (`[a-z]`, `[^,;]`, `\d \w \s` and their negations), groups `(...)` and `(?:...)`,
/// alternation `|`, the quantifiers `* + ? {m} {m,} {m,n}` (a trailing `?` for
/// laziness is accepted and changes nothing when the whole value must match), and
/// `^`/`$`. Back-references, look-arounds, word boundaries and flags need backtracking
/// or change the meaning of the rest; they are refused when the config is validated.
package struct Pattern: Sendable {
    package let source: String
    private let program: [Instruction]

    /// The largest compiled pattern (counted repetitions are copied out).
    /// (Matching costs up to this many steps a character, so it stays small.)
    static let maximumSize = 2_000
    /// The largest count in `{m,n}`.
    static let maximumCount = 1_000

    /// Why a pattern is refused, and where in it (a character offset).
    package struct SyntaxError: Error, Sendable {
        package var message: String
        package var offset: Int
    }

    package init(_ source: String) throws(SyntaxError) {
        self.source = source
        var parser = Parser(scalars: Array(source.unicodeScalars))
        let node = try parser.parse()
        var compiler = Compiler()
        try compiler.emit(node)
        compiler.program.append(.match)
        guard compiler.program.count <= Self.maximumSize else {
            throw SyntaxError(
                message:
                    "the pattern is too large once its counted repetitions are written out (more than \(Self.maximumSize) steps)",
                offset: 0)
        }
        program = compiler.program
    }

    /// Whether the whole of `value` matches.
    package func matches(_ value: String) -> Bool {
        var vm = Machine(program: program)
        return vm.run(value.unicodeScalars)
    }

    /// The Pike VM: the set of live states, advanced one scalar at a time; every state
    /// is visited at most once per scalar, so a value of n scalars costs O(n × size).
    struct Machine {
        let program: [Instruction]
        var current: ThreadList, next: ThreadList
        var stack: [Int] = []

        init(program: [Instruction]) {
            self.program = program
            current = ThreadList(capacity: program.count)
            next = ThreadList(capacity: program.count)
            stack.reserveCapacity(program.count)
        }

        mutating func run(_ scalars: String.UnicodeScalarView) -> Bool {
            let length = scalars.count
            var position = 0
            add(0, toNext: false, at: 0, length: length)
            for scalar in scalars {
                guard !current.isEmpty else { return false }
                next.clear()
                for k in 0..<current.items.count {
                    let pc = current.items[k]
                    let step: Bool
                    switch program[pc] {
                    case .scalar(let s): step = s == scalar
                    case .any: step = !Pattern.isLineBreak(scalar)
                    case .set(let set): step = set.contains(scalar)
                    default: step = false
                    }
                    if step { add(pc + 1, toNext: true, at: position + 1, length: length) }
                }
                swap(&current, &next)
                position += 1
            }
            return current.items.contains { program[$0] == .match }
        }

        /// Adds `start` and every state reachable from it without reading a scalar.
        mutating func add(_ start: Int, toNext: Bool, at position: Int, length: Int) {
            stack.append(start)
            while let pc = stack.popLast() {
                guard toNext ? next.insert(pc) : current.insert(pc) else { continue }
                switch program[pc] {
                case .jump(let to): stack.append(to)
                case .split(let a, let b):
                    stack.append(b)
                    stack.append(a)
                case .assertStart: if position == 0 { stack.append(pc + 1) }
                case .assertEnd: if position == length { stack.append(pc + 1) }
                default: break
                }
            }
        }
    }

    /// What `.` does not match: the line terminators.
    static func isLineBreak(_ s: Unicode.Scalar) -> Bool {
        s == "\n" || s == "\r" || s.value == 0x85 || s.value == 0x2028 || s.value == 0x2029
    }

    enum Instruction: Sendable, Equatable {
        case scalar(Unicode.Scalar)
        case any
        case set(ScalarSet)
        case split(Int, Int)
        case jump(Int)
        case assertStart
        case assertEnd
        case match
    }

    /// The program counters of live threads, in insertion order, without duplicates.
    struct ThreadList {
        var items: [Int] = []
        var marks: [Bool]

        init(capacity: Int) {
            marks = Array(repeating: false, count: capacity)
            items.reserveCapacity(capacity)
        }

        var isEmpty: Bool { items.isEmpty }

        mutating func insert(_ pc: Int) -> Bool {
            if marks[pc] { return false }
            marks[pc] = true
            items.append(pc)
            return true
        }

        mutating func clear() {
            for pc in items { marks[pc] = false }
            items.removeAll(keepingCapacity: true)
        }
    }
}

/// A character class: ranges of scalars and the classes `\d \w \s`, maybe negated.
struct ScalarSet: Sendable, Equatable {
    enum Named: Sendable, Equatable { case digit, word, space, notDigit, notWord, notSpace }
    var ranges: [ClosedRange<UInt32>] = []
    var named: [Named] = []
    var negated = false

    func contains(_ s: Unicode.Scalar) -> Bool {
        var found = ranges.contains { $0.contains(s.value) }
        if !found { found = named.contains { Self.matches($0, s) } }
        return found != negated
    }

    static func matches(_ named: Named, _ s: Unicode.Scalar) -> Bool {
        switch named {
        case .digit: return isDigit(s)
        case .notDigit: return !isDigit(s)
        case .word: return isWord(s)
        case .notWord: return !isWord(s)
        case .space: return s.properties.isWhitespace
        case .notSpace: return !s.properties.isWhitespace
        }
    }

    static func isDigit(_ s: Unicode.Scalar) -> Bool { s.properties.numericType == .decimal }
    static func isWord(_ s: Unicode.Scalar) -> Bool {
        s == "_" || s.properties.isAlphabetic || isDigit(s) || s.properties.generalCategory == .nonspacingMark
    }
}

extension Pattern {
    indirect enum Node {
        case empty
        case scalar(Unicode.Scalar)
        case any
        case set(ScalarSet)
        case concat([Node])
        case alternation([Node])
        case repetition(Node, min: Int, max: Int?)
        case assertStart
        case assertEnd
    }

    /// Recursive descent over the pattern's scalars; groups nest at most 256 deep.
    struct Parser {
        let scalars: [Unicode.Scalar]
        var k = 0
        var depth = 0

        func fail(_ message: String, at offset: Int? = nil) -> SyntaxError {
            SyntaxError(message: message, offset: offset ?? k)
        }

        var peek: Unicode.Scalar? { k < scalars.count ? scalars[k] : nil }

        mutating func parse() throws(SyntaxError) -> Node {
            let node = try alternation()
            if k < scalars.count { throw fail("unexpected ')': no group is open") }
            return node
        }

        mutating func alternation() throws(SyntaxError) -> Node {
            var branches = [try concatenation()]
            while peek == "|" {
                k += 1
                branches.append(try concatenation())
            }
            return branches.count == 1 ? branches[0] : .alternation(branches)
        }

        mutating func concatenation() throws(SyntaxError) -> Node {
            var items: [Node] = []
            while let c = peek, c != "|", c != ")" {
                var atom = try self.atom()
                if let bounds = try quantifier() {
                    let at = k
                    if case .assertStart = atom { throw fail("'^' cannot be repeated", at: at) }
                    if case .assertEnd = atom { throw fail("'$' cannot be repeated", at: at) }
                    if peek == "?" {
                        k += 1
                    } else if peek == "+" {
                        throw fail("possessive quantifiers are not supported")
                    }
                    // One quantifier an atom: stacked ones (a**, x{2}{3}) would only nest without end.
                    let next = k
                    if try quantifier() != nil {
                        throw fail(
                            "a quantifier cannot follow another; put the first in a group, as in (a{2}){3}", at: next)
                    }
                    atom = .repetition(atom, min: bounds.0, max: bounds.1)
                }
                items.append(atom)
            }
            return items.count == 1 ? items[0] : .concat(items)
        }

        /// `*`, `+`, `?` or a count, read; nil (and nothing read) when none follows.
        mutating func quantifier() throws(SyntaxError) -> (Int, Int?)? {
            switch peek {
            case "*":
                k += 1
                return (0, nil)
            case "+":
                k += 1
                return (1, nil)
            case "?":
                k += 1
                return (0, 1)
            case "{": return try count()
            default: return nil
            }
        }

        /// `{m}`, `{m,}`, `{m,n}`; nil when the brace does not start a count (it is then a literal).
        mutating func count() throws(SyntaxError) -> (Int, Int?)? {
            let start = k
            var j = k + 1
            func number() -> Int? {
                var n = 0
                var digits = 0
                while j < scalars.count,
                    let d = scalars[j].properties.numericType == .decimal && scalars[j].isASCII
                        ? Int(scalars[j].value - 48) : nil
                {
                    n = min(n * 10 + d, 1_000_000)
                    digits += 1
                    j += 1
                }
                return digits > 0 ? n : nil
            }
            guard let low = number() else { return nil }
            var high: Int? = low
            if j < scalars.count, scalars[j] == "," {
                j += 1
                high = number()
            }
            guard j < scalars.count, scalars[j] == "}" else { return nil }
            k = j + 1
            if let high, high < low { throw fail("in {\(low),\(high)} the larger count comes second", at: start) }
            if low > Pattern.maximumCount || (high ?? 0) > Pattern.maximumCount {
                throw fail("a count above \(Pattern.maximumCount) is not supported", at: start)
            }
            return (low, high)
        }

        mutating func atom() throws(SyntaxError) -> Node {
            let at = k
            let c = scalars[k]
            k += 1
            switch c {
            case "(":
                depth += 1
                defer { depth -= 1 }
                if depth > 256 { throw fail("groups nest more than 256 deep", at: at) }
                if peek == "?" {
                    guard k + 1 < scalars.count, scalars[k + 1] == ":" else {
                        throw fail(
                            "'(?' groups (look-arounds, named groups, flags) are not supported; use '(' or '(?:'",
                            at: at)
                    }
                    k += 2
                }
                let inner = try alternation()
                guard peek == ")" else { throw fail("this group is not closed: add a ')'", at: at) }
                k += 1
                return inner
            case ")": throw fail("unexpected ')': no group is open", at: at)
            case "*", "+", "?": throw fail("'\(c)' has nothing to repeat", at: at)
            case ".": return .any
            case "^": return .assertStart
            case "$": return .assertEnd
            case "[": return .set(try characterClass(openedAt: at))
            case "\\": return try escape(inClass: false)
            default: return .scalar(c)
            }
        }

        mutating func escape(inClass: Bool) throws(SyntaxError) -> Node {
            let at = k - 1
            guard let e = peek else { throw fail("a pattern cannot end in '\\'", at: at) }
            k += 1
            switch e {
            case "d": return .set(ScalarSet(named: [.digit]))
            case "D": return .set(ScalarSet(named: [.notDigit]))
            case "w": return .set(ScalarSet(named: [.word]))
            case "W": return .set(ScalarSet(named: [.notWord]))
            case "s": return .set(ScalarSet(named: [.space]))
            case "S": return .set(ScalarSet(named: [.notSpace]))
            case "n": return .scalar("\n")
            case "t": return .scalar("\t")
            case "r": return .scalar("\r")
            default:
                if e.properties.isAlphabetic || e.properties.numericType != nil {
                    throw fail(
                        "'\\\(e)' is not supported (back-references, word boundaries and other escapes need another engine)",
                        at: at)
                }
                return .scalar(e)
            }
        }

        mutating func characterClass(openedAt at: Int) throws(SyntaxError) -> ScalarSet {
            var set = ScalarSet()
            if peek == "^" {
                set.negated = true
                k += 1
            }
            var first = true
            while true {
                guard let c = peek else { throw fail("this class is not closed: add a ']'", at: at) }
                if c == "]" && !first {
                    k += 1
                    return set
                }
                first = false
                let low = try classMember(&set)
                guard let low else { continue }
                if peek == "-", k + 1 < scalars.count, scalars[k + 1] != "]" {
                    k += 1
                    guard let high = try classMember(&set) else {
                        throw fail("a range ends in a class such as \\d", at: k - 1)
                    }
                    guard low.value <= high.value else {
                        throw fail("the range \(low)-\(high) runs backwards", at: k - 1)
                    }
                    set.ranges.append(low.value...high.value)
                } else {
                    set.ranges.append(low.value...low.value)
                }
            }
        }

        /// One scalar of a class, or nil when it was a named class (added to `set`).
        mutating func classMember(_ set: inout ScalarSet) throws(SyntaxError) -> Unicode.Scalar? {
            let c = scalars[k]
            if c == "[" {
                // Engines differ here (nested sets, set subtraction, POSIX classes): refused rather than read one way.
                throw fail(
                    k + 1 < scalars.count && scalars[k + 1] == ":"
                        ? "POSIX classes ([:alpha:]) are not supported"
                        : "write '\\[' for a '[' inside a class (nested classes are not supported)")
            }
            k += 1
            guard c == "\\" else { return c }
            switch try escape(inClass: true) {
            case .scalar(let s): return s
            case .set(let named):
                set.named += named.named
                return nil
            default: return nil
            }
        }
    }

    struct Compiler {
        var program: [Instruction] = []

        mutating func emit(_ node: Node) throws(SyntaxError) {
            guard program.count <= Pattern.maximumSize else {
                throw SyntaxError(
                    message:
                        "the pattern is too large once its counted repetitions are written out (more than \(Pattern.maximumSize) steps)",
                    offset: 0)
            }
            switch node {
            case .empty: break
            case .scalar(let s): program.append(.scalar(s))
            case .any: program.append(.any)
            case .set(let set): program.append(.set(set))
            case .assertStart: program.append(.assertStart)
            case .assertEnd: program.append(.assertEnd)
            case .concat(let items): for item in items { try emit(item) }
            case .alternation(let branches):
                var jumps: [Int] = []
                for (n, branch) in branches.enumerated() {
                    if n < branches.count - 1 {
                        let split = program.count
                        program.append(.split(split + 1, -1))
                        try emit(branch)
                        jumps.append(program.count)
                        program.append(.jump(-1))
                        program[split] = .split(split + 1, program.count)
                    } else {
                        try emit(branch)
                    }
                }
                for j in jumps { program[j] = .jump(program.count) }
            case .repetition(let inner, let min, let max):
                for _ in 0..<min { try emit(inner) }
                if let max {
                    // Each optional copy may be skipped to the end.
                    var splits: [Int] = []
                    for _ in min..<max {
                        splits.append(program.count)
                        program.append(.split(program.count + 1, -1))
                        try emit(inner)
                    }
                    for s in splits { program[s] = .split(s + 1, program.count) }
                } else {
                    let loop = program.count
                    program.append(.split(loop + 1, -1))
                    try emit(inner)
                    program.append(.jump(loop))
                    program[loop] = .split(loop + 1, program.count)
                }
            }
        }
    }
}
