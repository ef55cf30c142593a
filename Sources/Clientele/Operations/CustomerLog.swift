/// Reading the customer log: filters and the one-line timeline form.
public enum CustomerLog {
    /// Whether `text` is a date or a date and time the log filters understand.
    public static func isTime(_ text: String) -> Bool { Timestamp.parse(text) != nil }

    public static func filter(_ entries: [JSONValue], customer: String?, type: String?, since: String?, until: String?) -> [JSONValue] {
        let from = since.flatMap(Timestamp.parse), to = until.flatMap(Timestamp.parse)
        return entries.filter { e in
            if let type, e["type"]?.stringValue != type { return false }
            if let customer {
                guard case .array(let ids)? = e["customers"], ids.contains(.string(customer)) else { return false }
            }
            if from != nil || to != nil {
                guard let t = e["time"]?.stringValue.flatMap(Timestamp.parse) else { return false }
                if let from, t < from { return false }
                if let to, t >= to { return false }
            }
            return true
        }
    }

    /// `2026-11-23T10:00:00Z  bob  edit  P000001  level: "A" -> "B"`
    public static func line(_ e: JSONValue) -> String {
        var parts = [e["time"]?.stringValue ?? "", e["actor"]?.stringValue ?? "", e["type"]?.stringValue ?? ""]
        if case .array(let ids)? = e["customers"], !ids.isEmpty { parts.append(ids.compactMap(\.stringValue).joined(separator: ",")) }
        if case .array(let changes)? = e["changes"], !changes.isEmpty {
            parts.append(changes.map { c in "\(c["field"]?.stringValue ?? ""): \(c["from"]?.jsonText ?? "null") -> \(c["to"]?.jsonText ?? "null")" }.joined(separator: "; "))
        }
        if let reason = e["reason"]?.stringValue { parts.append("reason: \(reason)") }
        return parts.joined(separator: "  ") + "\n"
    }
}
