import ClienteleCore
import ClienteleEngine
import ClienteleModel
import ClienteleSpec
import ClienteleStore

/// CSV exports: the template's columns (system columns, then every field's display
/// name but the hidden ones), so an export can be edited and imported again; with a
/// view, its fields in its order, without the fields it hides.
package enum CustomerExport {
    package static func csv(
        _ documents: [JSONValue], config: CompiledConfig, table: TableKind, package: String?, view: View? = nil,
        raw: Bool = false
    ) throws(OperationError) -> String {
        let teams = Set(documents.compactMap { $0["team"]?.stringValue })
        guard let team = teams.first ?? config.model.organization.teams.first?.id else { return "" }
        if teams.count > 1 {
            throw .invalid(["the customers to export belong to several teams; export one package or team at a time"])
        }
        var fields = config.model.schema.fields(team: team, table: table, package: package).filter { !$0.hidden }
        if let view {
            let order = view.module == .campaign ? view.backgroundFields + view.agentFields + view.order : view.order
            fields = fields.filter { !view.hidden.contains($0.identity) }
            fields =
                order.compactMap { name in fields.first { $0.identity == name } }
                + fields.filter { !order.contains($0.identity) }
        }
        let identities = fields.flatMap(\.identities)
        var out =
            (["Id", "Account executive", "Service representative", "Tags"] + fields.flatMap(\.displays)).map {
                CSVCell.escaped($0, raw: raw)
            }.joined(separator: ",") + "\r\n"
        for d in documents {
            var cells = [
                d["id"]?.stringValue ?? "", d["account_executive"]?.stringValue ?? "",
                d["customer_service_rep"]?.stringValue ?? "",
            ]
            if case .array(let tags)? = d["tags"] {
                cells.append(tags.compactMap(\.stringValue).joined(separator: ";"))
            } else {
                cells.append("")
            }
            for identity in identities {
                switch d["fields"]?[identity] {
                case .string(let s)?: cells.append(s)
                case .number(let n)?: cells.append(n)
                case .bool(let b)?: cells.append(b ? "true" : "false")
                case .array(let items)?:
                    cells.append(items.map { $0.stringValue ?? $0.jsonText }.joined(separator: ";"))
                case .object?: cells.append(d["fields"]?[identity]?.jsonText ?? "")
                default: cells.append("")
                }
            }
            out += cells.map { CSVCell.escaped($0, raw: raw) }.joined(separator: ",") + "\r\n"
        }
        return out
    }
}
