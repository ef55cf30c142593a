import ClienteleCore
import ClienteleModel
import ClienteleSpec

/// Checks every field's `default` against the field's own type and refinements,
/// with the same checks records get.
enum DefaultValueCheck {
    static func diagnostics(_ schema: CustomerSchema) -> [Diagnostic] {
        var result: [Diagnostic] = []
        let fields =
            schema.standardFields.keys.sorted { $0.rawValue < $1.rawValue }.flatMap { schema.standardFields[$0]! }
            + schema.customizations
        var seen: Set<String> = []
        for field in fields {
            guard let value = field.defaultValue, let location = field.defaultLocation else { continue }
            guard seen.insert("\(location)").inserted else { continue }
            if let message = problem(value, field) {
                result.append(.error("the default of \(field.label) is not valid: \(message)", at: location))
            }
        }
        return result
    }

    static func problem(_ value: JSONValue, _ field: Field) -> String? {
        if field.spec.base == .relate {
            guard case .array(let items) = value, let tree = field.spec.tree else {
                return "a relate default is a list, one value per level"
            }
            let path = items.compactMap(\.stringValue)
            if path.count > field.identities.count {
                return "it has \(path.count) levels; the field has \(field.identities.count)"
            }
            if tree.subtree(path) == nil { return "\(path.joined(separator: "/")) is not a path of the tree" }
            return nil
        }
        var bytes = Array(value.jsonText.utf8)
        var tape = JSONTape()
        return bytes.withUnsafeMutableBufferPointer { buffer -> String? in
            let b = UnsafeBufferPointer(buffer)
            guard (try? tape.parse(b)) != nil else { return "it is not a value" }
            let check = FieldValueCheck(field: field)
            return tape.withView(bytes: b) { check.check($0, 0) }
        }
    }
}
