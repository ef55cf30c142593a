import ClienteleCore

/// Reads one YAML mapping key by key, keeping locations, reporting values of the
/// wrong kind, and (at `finish`) every key that was not read, with a suggestion.
final class MappingReader {
    let node: Node
    let entries: [Node.Entry]
    /// What the mapping describes, for messages: "user 'bob'".
    var subject: String
    let diagnostics: DiagnosticCollector
    private var used: Set<String> = []
    private var known: [String] = []

    /// Nil (with a diagnostic) when `node` is not a mapping.
    init?(_ node: Node, subject: String, diagnostics: DiagnosticCollector) {
        guard let entries = node.mapping else {
            diagnostics.error(
                "\(subject) must be a mapping of keys to values, not \(node.kindDescription)", at: node.location)
            return nil
        }
        self.node = node
        self.entries = entries
        self.subject = subject
        self.diagnostics = diagnostics
    }

    var location: SourceLocation { node.location }

    /// The raw value of `key`, marking it as read.
    func value(_ key: String) -> Node? {
        known.append(key)
        guard let entry = entries.first(where: { $0.key.value == key }) else { return nil }
        used.insert(key)
        return entry.value
    }

    func has(_ key: String) -> Bool { entries.contains { $0.key.value == key } }

    func keyLocation(_ key: String) -> SourceLocation? {
        entries.first { $0.key.value == key }?.key.location
    }

    /// Declares keys that are valid but read elsewhere (so `finish` does not flag them).
    func allow(_ keys: [String]) {
        known.append(contentsOf: keys)
        for key in keys where has(key) { used.insert(key) }
    }

    func string(_ key: String, required: Bool = false) -> Located<String>? {
        guard let node = value(key) else {
            if required { missing(key) }
            return nil
        }
        return NodeValue.string(node, what: "'\(key)' of \(subject)", diagnostics)
    }

    func bool(_ key: String) -> Located<Bool>? {
        guard let node = value(key) else { return nil }
        return NodeValue.bool(node, what: "'\(key)' of \(subject)", diagnostics)
    }

    func integer(_ key: String, required: Bool = false) -> Located<Int>? {
        guard let node = value(key) else {
            if required { missing(key) }
            return nil
        }
        return NodeValue.integer(node, what: "'\(key)' of \(subject)", diagnostics)
    }

    func number(_ key: String) -> Located<NumberLiteral>? {
        guard let node = value(key) else { return nil }
        return NodeValue.number(node, what: "'\(key)' of \(subject)", diagnostics)
    }

    /// A list of strings; a single string is accepted as a list of one.
    func strings(_ key: String, required: Bool = false) -> [Located<String>]? {
        guard let node = value(key) else {
            if required { missing(key) }
            return nil
        }
        return NodeValue.strings(node, what: "'\(key)' of \(subject)", diagnostics)
    }

    func mapping(_ key: String, subject: String) -> MappingReader? {
        guard let node = value(key) else { return nil }
        return MappingReader(node, subject: subject, diagnostics: diagnostics)
    }

    func missing(_ key: String) {
        diagnostics.error("\(subject) needs '\(key)'", at: node.location)
    }

    /// Reports every key that no reader asked for.
    /// Reports each key nothing read, once. With `misspelledOnly`, only those close to
    /// a key that was read (the rest of a mapping abandoned for a missing `id`, say).
    func finish(misspelledOnly: Bool = false) {
        for entry in entries where !used.contains(entry.key.value) {
            let key = entry.key.value
            let suggestion = Suggestion.didYouMean(key, in: known)
            used.insert(key)
            if misspelledOnly && suggestion.isEmpty { continue }
            diagnostics.error("unknown key '\(key)' in \(subject)\(suggestion)", at: entry.key.location)
        }
    }
}

/// A number as written, kept as text so that decimal scale can be checked exactly.
package struct NumberLiteral: Sendable, Equatable, CustomStringConvertible {
    package var text: String
    package var value: Double
    package var description: String { text }
}

/// Conversions of single nodes to typed values, with diagnostics.
package enum NodeValue {
    package static func string(_ node: Node, what: String, _ diagnostics: DiagnosticCollector) -> Located<String>? {
        guard let scalar = node.scalar, !scalar.isNull else {
            diagnostics.error("\(what) must be text, not \(node.kindDescription)", at: node.location)
            return nil
        }
        return Located(scalar.text, at: node.location)
    }

    static func bool(_ node: Node, what: String, _ diagnostics: DiagnosticCollector) -> Located<Bool>? {
        if let scalar = node.scalar, !scalar.isString, scalar.text == "true" || scalar.text == "false" {
            return Located(scalar.text == "true", at: node.location)
        }
        let shown = node.scalar.map { " '\($0.text)'" } ?? ""
        diagnostics.error("\(what) must be true or false, not \(node.kindDescription)\(shown)", at: node.location)
        return nil
    }

    static func integer(_ node: Node, what: String, _ diagnostics: DiagnosticCollector) -> Located<Int>? {
        if let scalar = node.scalar, !scalar.isString, let value = Int(scalar.text) {
            return Located(value, at: node.location)
        }
        let shown = node.scalar.map { " '\($0.text)'" } ?? ""
        diagnostics.error("\(what) must be a whole number, not \(node.kindDescription)\(shown)", at: node.location)
        return nil
    }

    static func number(_ node: Node, what: String, _ diagnostics: DiagnosticCollector) -> Located<NumberLiteral>? {
        if let scalar = node.scalar, !scalar.isString, let value = Double(scalar.text), value.isFinite,
            scalar.text.allSatisfy({ $0.isNumber || $0 == "." || $0 == "-" || $0 == "+" })
        {
            return Located(NumberLiteral(text: scalar.text, value: value), at: node.location)
        }
        let shown = node.scalar.map { " '\($0.text)'" } ?? ""
        diagnostics.error("\(what) must be a number, not \(node.kindDescription)\(shown)", at: node.location)
        return nil
    }

    static func strings(_ node: Node, what: String, _ diagnostics: DiagnosticCollector) -> [Located<String>]? {
        if let items = node.sequence {
            return items.compactMap { string($0, what: "each entry of \(what)", diagnostics) }
        }
        if let scalar = node.scalar, !scalar.isNull {
            return [Located(scalar.text, at: node.location)]
        }
        diagnostics.error("\(what) must be a list, not \(node.kindDescription)", at: node.location)
        return nil
    }

    /// The items of a list section; a diagnostic when the node is not a list.
    static func list(_ node: Node, what: String, _ diagnostics: DiagnosticCollector) -> [Node] {
        guard let items = node.sequence else {
            diagnostics.error("\(what) must be a list, not \(node.kindDescription)", at: node.location)
            return []
        }
        return items
    }
}
