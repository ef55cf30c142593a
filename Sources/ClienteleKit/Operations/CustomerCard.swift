import ClienteleCore
import ClienteleEngine
import ClienteleModel
import ClienteleSpec
import ClienteleStore

/// `customer show` for people: the customer's number, table and owners, then each
/// field by its display name, in the order of the document (a view's order when
/// one was given), values as the user may see them.
package enum CustomerCard {
    package static func text(_ document: JSONValue, config: CompiledConfig) -> String {
        func string(_ key: String) -> String? { document[key]?.stringValue }
        func list(_ value: JSONValue?) -> [String] {
            if case .array(let items)? = value { return items.map { $0.stringValue ?? $0.jsonText } }
            return []
        }
        var displays: [String: String] = [:]
        if let team = string("team"), let table = string("table").flatMap(TableKind.init(rawValue:)),
            let v = config.records.validatorIndex(team: team, table: table, package: string("package"))
        {
            for field in config.records.validators[v].fields {
                for (identity, display) in zip(field.identities, field.displays) { displays[identity] = display }
            }
        }
        var rows: [(String, String)] = []
        if case .object(let fields)? = document["fields"] {
            for (identity, value) in fields {
                let shown: String
                switch value {
                case .string(let s): shown = s
                case .array(let items): shown = items.map { $0.stringValue ?? $0.jsonText }.joined(separator: ", ")
                default: shown = value.jsonText
                }
                rows.append((displays[identity] ?? identity, shown))
            }
        }
        let shared = ["users", "departments", "roles"].compactMap { key -> String? in
            let items = list(document["shared"]?[key])
            return items.isEmpty ? nil : "\(key) \(items.joined(separator: ", "))"
        }
        rows += [
            ("Account executive", string("account_executive") ?? "none"),
            ("Service representative", string("customer_service_rep") ?? "none"),
            ("Shared with", shared.isEmpty ? "nobody" : shared.joined(separator: "; ")),
            ("Tags", list(document["tags"]).joined(separator: ", ")),
            ("Followers", list(document["followers"]).joined(separator: ", ")),
        ]
        if let pool = string("pool") {
            rows.append(("Pool", pool + (string("previous_account_executive").map { " (returned by \($0))" } ?? "")))
        }
        if let at = string("created_at") {
            rows.append(("Created", at + (string("created_by").map { " by \($0)" } ?? "")))
        }
        if let at = string("modified_at") {
            rows.append(("Modified", at + (string("modified_by").map { " by \($0)" } ?? "")))
        }
        let width = min(28, rows.map(\.0.count).max() ?? 0)
        var place = [
            string("table") ?? "", string("package").map { "package \($0)" }, string("team").map { "team \($0)" },
        ].compactMap { $0 }
        place.removeAll(where: \.isEmpty)
        var out = PrintableText.escaped("\(string("id") ?? "")  (\(place.joined(separator: ", ")))") + "\n"
        for (label, value) in rows {
            let padded = label.count < width ? label + String(repeating: " ", count: width - label.count) : label
            out += PrintableText.escaped("  \(padded)  \(value)") + "\n"
        }
        return out
    }
}
