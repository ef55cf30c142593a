import ClienteleCore

/// A YAML node with the location of its first character; the only shape of YAML
/// that leaves the Source stage.
package struct Node: Sendable {
    /// How a scalar was written: plain scalars may be booleans, numbers or null;
    /// quoted and block scalars are always strings.
    package enum ScalarStyle: Sendable, Equatable {
        case plain, singleQuoted, doubleQuoted, literal, folded
    }

    package struct Scalar: Sendable {
        package var text: String
        package var style: ScalarStyle
        /// True when the scalar carried an explicit `!!str` tag.
        package var taggedString: Bool

        /// A scalar that can only be read as a string.
        package var isString: Bool { style != .plain || taggedString }
        /// A plain `null`, `~` or empty scalar.
        package var isNull: Bool {
            !isString && (text.isEmpty || text == "null" || text == "~" || text == "Null" || text == "NULL")
        }
    }

    package struct Entry: Sendable {
        package var key: Located<String>
        package var value: Node
    }

    package indirect enum Content: Sendable {
        case scalar(Scalar)
        case sequence([Node])
        case mapping([Entry])
    }

    package var content: Content
    package var location: SourceLocation

    package init(_ content: Content, at location: SourceLocation) {
        self.content = content
        self.location = location
    }

    /// A short name of the node's kind, for messages ("a list", "a mapping", "text").
    package var kindDescription: String {
        switch content {
        case .scalar(let s):
            if s.isNull { return "null" }
            if !s.isString && (s.text == "true" || s.text == "false") { return "a boolean" }
            if !s.isString && Int(s.text) != nil { return "a number" }
            return "text"
        case .sequence: return "a list"
        case .mapping: return "a mapping"
        }
    }

    package var scalar: Scalar? {
        if case .scalar(let s) = content { return s }
        return nil
    }

    package var sequence: [Node]? {
        if case .sequence(let items) = content { return items }
        return nil
    }

    package var mapping: [Entry]? {
        if case .mapping(let entries) = content { return entries }
        return nil
    }
}
