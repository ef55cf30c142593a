internal import CYAML
import ClienteleCore

/// Parses YAML text into a located `Node`, strictly: one document per file,
/// no duplicate or non-string keys, aliases resolved, nesting bounded.
///
/// The only type in the package that touches libyaml; it owns a copy of the
/// input bytes for as long as libyaml reads them and frees the parser in deinit.
package final class YAMLParser {
    /// Deeper nesting than this is refused rather than risking the stack.
    package static let maximumDepth = 200
    /// Aliases may not expand the document past this many nodes (the "billion laughs").
    package static let maximumNodes = 2_000_000

    private var parser = yaml_parser_t()
    private let input: UnsafeMutableBufferPointer<UInt8>
    private let displayPath: String
    private var diagnostics: [Diagnostic] = []

    private init(text: String, displayPath: String) {
        let bytes = Array(text.utf8)
        input = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: max(bytes.count, 1))
        _ = input.initialize(from: bytes)
        self.displayPath = displayPath
        yaml_parser_initialize(&parser)
        yaml_parser_set_input_string(&parser, input.baseAddress, bytes.count)
        yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING)
    }

    deinit {
        yaml_parser_delete(&parser)
        input.deallocate()
    }

    /// Parses one file. An empty file (or one holding only comments) yields `nil`
    /// and no diagnostics; anything wrong yields diagnostics and no node.
    package static func parse(_ text: String, displayPath: String) -> (node: Node?, diagnostics: [Diagnostic]) {
        let parser = YAMLParser(text: text, displayPath: displayPath)
        let node = parser.run()
        return (parser.diagnostics.isEmpty ? node : nil, parser.diagnostics)
    }

    // MARK: - Event loop

    /// An open sequence or mapping; mutated in place on the stack so that
    /// appending a child never copies its siblings.
    private struct Frame {
        var isMapping: Bool
        var location: SourceLocation
        var anchor: String?
        var items: [Node] = []
        var entries: [Node.Entry] = []
        var pendingKey: Located<String>?
        var keyValid = true
        var seen: [String: SourceLocation] = [:]
    }

    private var stack: [Frame] = []
    private var anchors: [String: Node] = [:]
    private var nodeCount = 0
    private var documents = 0
    private var root: Node?

    private func location(_ mark: yaml_mark_t) -> SourceLocation {
        SourceLocation(file: displayPath, line: Int(mark.line) + 1, column: Int(mark.column) + 1)
    }

    private func run() -> Node? {
        var event = yaml_event_t()
        while true {
            guard yaml_parser_parse(&parser, &event) == 1 else {
                reportSyntaxError()
                return nil
            }
            defer { yaml_event_delete(&event) }
            let type = event.type
            if type == YAML_STREAM_END_EVENT { break }
            if !handle(event) { return nil }
        }
        return root
    }

    private func reportSyntaxError() {
        let problem = parser.problem.map { String(cString: $0) } ?? "unknown problem"
        let problemLocation = location(parser.problem_mark)
        var message = "YAML syntax error: \(problem)"
        var notes: [Diagnostic.Note] = []
        if let context = parser.context.map({ String(cString: $0) }) {
            message += " (\(context))"
            let contextLocation = location(parser.context_mark)
            if contextLocation != problemLocation {
                notes.append(.init(context, at: contextLocation))
            }
        }
        if problem == "mapping values are not allowed in this context" {
            notes.append(
                .init("a value that contains ': ' (such as an expression with depth: 2) must be put in quotes"))
        }
        diagnostics.append(.error(message, at: problemLocation, notes: notes))
    }

    /// Handles one event; returns false when parsing must stop.
    private func handle(_ event: yaml_event_t) -> Bool {
        let start = location(event.start_mark)
        switch event.type {
        case YAML_DOCUMENT_START_EVENT:
            documents += 1
            if documents > 1 {
                diagnostics.append(
                    .error("a file may hold only one YAML document; split this one into another file", at: start))
                return false
            }
            return true
        case YAML_DOCUMENT_END_EVENT, YAML_STREAM_START_EVENT:
            return true
        case YAML_SCALAR_EVENT:
            let data = event.data.scalar
            let text = String(decoding: UnsafeBufferPointer(start: data.value, count: Int(data.length)), as: UTF8.self)
            let style: Node.ScalarStyle
            switch data.style {
            case YAML_SINGLE_QUOTED_SCALAR_STYLE: style = .singleQuoted
            case YAML_DOUBLE_QUOTED_SCALAR_STYLE: style = .doubleQuoted
            case YAML_LITERAL_SCALAR_STYLE: style = .literal
            case YAML_FOLDED_SCALAR_STYLE: style = .folded
            default: style = .plain
            }
            let tag = data.tag.map { String(cString: $0) }
            if let tag, tag != "tag:yaml.org,2002:str", tag != "!" {
                diagnostics.append(
                    .error("YAML tags such as '\(tag)' are not supported; write the value plainly", at: start))
                return false
            }
            let node = Node(.scalar(.init(text: text, style: style, taggedString: tag != nil)), at: start)
            return add(node, anchor: data.anchor.map { String(cString: $0) })
        case YAML_ALIAS_EVENT:
            let name = String(cString: event.data.alias.anchor)
            guard let target = anchors[name] else {
                diagnostics.append(
                    .error("alias '*\(name)' refers to an anchor that is not defined before it", at: start))
                return false
            }
            nodeCount += Self.count(target)
            if nodeCount > Self.maximumNodes {
                diagnostics.append(
                    .error("aliases expand this file to more than \(Self.maximumNodes) values", at: start))
                return false
            }
            var copy = target
            copy.location = start
            return add(copy, anchor: nil)
        case YAML_SEQUENCE_START_EVENT:
            guard untagged(event.data.sequence_start.tag, "tag:yaml.org,2002:seq", at: start), push(at: start) else {
                return false
            }
            stack.append(
                Frame(
                    isMapping: false, location: start,
                    anchor: event.data.sequence_start.anchor.map { String(cString: $0) }))
            return true
        case YAML_MAPPING_START_EVENT:
            guard untagged(event.data.mapping_start.tag, "tag:yaml.org,2002:map", at: start), push(at: start) else {
                return false
            }
            stack.append(
                Frame(
                    isMapping: true, location: start,
                    anchor: event.data.mapping_start.anchor.map { String(cString: $0) }))
            return true
        case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
            guard let frame = stack.popLast() else { return false }
            let content: Node.Content = frame.isMapping ? .mapping(frame.entries) : .sequence(frame.items)
            return add(Node(content, at: frame.location), anchor: frame.anchor)
        default:
            return true
        }
    }

    /// Tags on lists and mappings are refused like tags on scalars (only the plain kind's own is allowed).
    private func untagged(_ tag: UnsafeMutablePointer<yaml_char_t>?, _ plain: String, at location: SourceLocation)
        -> Bool
    {
        guard let tag else { return true }
        let name = String(cString: tag)
        guard name == plain || name == "!" else {
            diagnostics.append(
                .error("YAML tags such as '\(name)' are not supported; write the value plainly", at: location))
            return false
        }
        return true
    }

    private func push(at location: SourceLocation) -> Bool {
        if stack.count >= Self.maximumDepth {
            diagnostics.append(.error("values are nested more than \(Self.maximumDepth) levels deep", at: location))
            return false
        }
        return true
    }

    private static func count(_ node: Node) -> Int {
        switch node.content {
        case .scalar: return 1
        case .sequence(let items): return items.reduce(1) { $0 + count($1) }
        case .mapping(let entries): return entries.reduce(1) { $0 + 1 + count($1.value) }
        }
    }

    /// Attaches a finished node to its parent (or makes it the root).
    private func add(_ node: Node, anchor: String?) -> Bool {
        nodeCount += 1
        if nodeCount > Self.maximumNodes {
            diagnostics.append(.error("this file holds more than \(Self.maximumNodes) values", at: node.location))
            return false
        }
        if let anchor { anchors[anchor] = node }
        guard !stack.isEmpty else {
            root = node
            return true
        }
        let top = stack.count - 1
        if !stack[top].isMapping {
            stack[top].items.append(node)
        } else if let key = stack[top].pendingKey {
            if stack[top].keyValid {
                if let first = stack[top].seen[key.value] {
                    diagnostics.append(
                        .error(
                            "duplicate key '\(key.value)'", at: key.location,
                            notes: [.init("'\(key.value)' is first given here", at: first)]))
                } else {
                    stack[top].seen[key.value] = key.location
                    stack[top].entries.append(Node.Entry(key: key, value: node))
                }
            }
            stack[top].pendingKey = nil
            stack[top].keyValid = true
        } else {
            let (key, valid) = keyText(node)
            stack[top].pendingKey = key
            stack[top].keyValid = valid
        }
        return true
    }

    /// Keys must be strings: a list, a mapping, null, a boolean or a number is refused.
    private func keyText(_ node: Node) -> (Located<String>, Bool) {
        guard let scalar = node.scalar else {
            diagnostics.append(.error("a key must be text, not \(node.kindDescription)", at: node.location))
            return (Located("", at: node.location), false)
        }
        if !scalar.isString {
            let kind = Node(.scalar(scalar), at: node.location).kindDescription
            if kind != "text" || Double(scalar.text) != nil {
                let shown = scalar.text.isEmpty ? "an empty key" : "'\(scalar.text)'"
                diagnostics.append(
                    .error(
                        "a key must be text, but \(shown) reads as \(kind == "text" ? "a number" : kind); put it in quotes",
                        at: node.location))
                return (Located(scalar.text, at: node.location), false)
            }
        }
        return (Located(scalar.text, at: node.location), true)
    }
}
