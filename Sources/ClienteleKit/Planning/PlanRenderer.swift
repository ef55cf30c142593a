import ClienteleCore
import ClienteleEngine
import ClienteleModel
import ClienteleSpec
import ClienteleStore

/// A plan as text for people (grouped, coloured on a terminal) and as JSON for machines.
package struct PlanRenderer: Sendable {
    package var colors: Bool

    package init(colors: Bool) { self.colors = colors }

    private func paint(_ text: String, _ code: String) -> String { colors ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text }

    private static func count(_ n: Int, _ noun: String) -> String { "\(n) \(noun)\(n == 1 ? "" : "s")" }

    private static func sample(_ ids: [String], of total: Int) -> String {
        ids.isEmpty ? "" : " (" + ids.joined(separator: ", ") + (total > ids.count ? ", ..." : "") + ")"
    }

    /// The text of a plan (its errors are printed apart, as diagnostics with their source lines).
    /// `applying`: printed by apply itself, so the closing line does not point to apply.
    /// `applyCommand`: the command the closing line gives, as the user can run it.
    package func render(_ plan: Plan, applying: Bool = false, applyCommand: String = "clientele apply") -> String {
        guard plan.hasChanges else {
            return "No changes: the config is version \(plan.appliedVersion), the one applied.\n"
        }
        var out = "Plan: config version \(plan.appliedVersion) -> \(plan.version)\n"
        out += "\n" + paint("Changes", "1") + "\n"
        for c in plan.diff.changes {
            let (mark, code) =
                switch c.kind {
                case .added: ("+", "32")
                case .removed: ("-", "31")
                case .changed: ("~", "33")
                case .renamed: (">", "36")
                }
            out += "  " + paint("\(mark) \(c.entity) \(c.id)", code) + (c.location.map { "  \($0)" } ?? "") + "\n"
            for d in c.details { out += "      \(d)\n" }
        }
        if !plan.notes.isEmpty {
            out += "\n" + paint("Notes", "1") + "\n"
            for n in plan.notes { out += "  \(n)\n" }
        }
        out += "\n" + paint("Data impact", "1") + " (over \(Self.count(plan.data.records, "stored record")))\n"
        if plan.data.entries.isEmpty { out += "  none: no stored value changes\n" }
        for e in plan.data.entries {
            let code =
                switch e.kind {
                case .lost, .invalid: "31"
                case .rewritten, .filled: "36"
                }
            let label = paint(e.kind.rawValue.padding(toLength: 9, withPad: " ", startingAt: 0), code)
            out +=
                "  \(label) \(Self.count(e.count, "record")): \(e.what), \(e.place)\(e.field.map { ", '\($0)'" } ?? "")\(Self.sample(e.sample, of: e.count))\n"
        }
        out +=
            "\n" + paint("Access impact", "1")
            + " (customers gained and lost, per user; \(Self.count(plan.access.usersCompared, "user")) compared)\n"
        if plan.access.users.isEmpty { out += "  none: nobody gains or loses a customer\n" }
        let width = plan.access.users.map(\.user.count).max() ?? 0
        for u in plan.access.users {
            var parts: [String] = []
            for (action, d) in [("view", u.view), ("edit", u.edit)] where !d.isEmpty {
                var part = "\(action) " + paint("+\(d.gained)", "32") + " " + paint("-\(d.lost)", "31")
                if !d.gainedSample.isEmpty {
                    part +=
                        " +" + d.gainedSample.joined(separator: ",") + (d.gained > d.gainedSample.count ? ",..." : "")
                }
                if !d.lostSample.isEmpty {
                    part += " -" + d.lostSample.joined(separator: ",") + (d.lost > d.lostSample.count ? ",..." : "")
                }
                parts.append(part)
            }
            out +=
                "  \(u.user.padding(toLength: width, withPad: " ", startingAt: 0))  \(parts.joined(separator: "   "))\n"
        }
        if plan.access.orphaned > 0 {
            out +=
                "  " + paint("\(Self.count(plan.access.orphaned, "customer")) only admins can view now", "31")
                + Self.sample(plan.access.orphanedSample, of: plan.access.orphaned) + "\n"
        }
        out += "\n" + paint("Pool impact", "1") + "\n"
        if plan.pools.isEmpty { out += "  none\n" }
        for r in plan.pools.returns {
            out +=
                "  pool '\(r.pool)': \(Self.count(r.count, "customer")) of \(r.accountExecutive) would be returned now\(Self.sample(r.sample, of: r.count))\n"
        }
        for m in plan.pools.lostMembers {
            out +=
                "  pool '\(m.pool)': \(m.users.count == 1 ? "loses the right to claim" : "lose the right to claim"): \(m.users.joined(separator: ", "))\n"
        }
        out += "\n"
        if !plan.errors.isEmpty {
            out +=
                paint(
                    "\(Self.count(plan.errors.count, "error")): apply is refused until the config or the data changes.",
                    "1;31") + "\n"
        } else if plan.losesData {
            out +=
                paint(
                    "This change loses data: apply needs --allow-data-loss (and keeps a backup of what it removes).",
                    "1;33") + "\n"
        } else if !applying {
            out += "Apply with '\(applyCommand)'.\n"
        }
        return out
    }

    /// `{"changes":[...], "data_impact":{...}, "access_impact":[...], "pool_impact":{...}, "errors":[...]}` and the
    /// plan's identity.
    package static func json(_ plan: Plan) -> JSONValue {
        func strings(_ s: [String]) -> JSONValue { .array(s.map(JSONValue.string)) }
        func number(_ n: Int) -> JSONValue { .number(String(n)) }
        func location(_ l: SourceLocation?) -> JSONValue { l.map { .string($0.description) } ?? .null }
        func delta(_ d: AccessImpact.Delta) -> JSONValue {
            .object([
                ("gained", number(d.gained)), ("lost", number(d.lost)), ("gained_sample", strings(d.gainedSample)),
                ("lost_sample", strings(d.lostSample)),
            ])
        }
        let changes = plan.diff.changes.map { c -> JSONValue in
            .object([
                ("kind", .string(c.kind.rawValue)), ("entity", .string(c.entity)), ("id", .string(c.id)),
                ("details", strings(c.details)),
                ("location", location(c.location)),
            ])
        }
        var data: [(String, JSONValue)] = [("records", number(plan.data.records))]
        for kind in DataImpact.Kind.allCases {
            data.append(
                (
                    kind.rawValue,
                    .array(
                        plan.data.entries(kind).map { e in
                            .object([
                                ("place", .string(e.place)), ("field", e.field.map(JSONValue.string) ?? .null),
                                ("what", .string(e.what)),
                                ("count", number(e.count)), ("sample", strings(e.sample)),
                                ("location", location(e.location)),
                            ])
                        })
                ))
        }
        let errors = plan.errors.map { d -> JSONValue in
            .object([
                ("severity", .string(d.severity.rawValue)), ("message", .string(d.message)),
                ("file", d.location.map { .string($0.file) } ?? .null),
                ("line", d.location.map { number($0.line) } ?? .null),
                ("column", d.location.map { number($0.column) } ?? .null),
            ])
        }
        return .object([
            ("applied_version", number(plan.appliedVersion)), ("version", number(plan.version)),
            ("config_hash", .string(plan.configHash)), ("data_hash", .string(plan.dataHash)),
            ("has_changes", .bool(plan.hasChanges)), ("needs_allow_data_loss", .bool(plan.losesData)),
            ("changes", .array(changes)), ("notes", strings(plan.notes)),
            ("data_impact", .object(data)),
            (
                "access_impact",
                .array(
                    plan.access.users.map { u in
                        .object([("user", .string(u.user)), ("view", delta(u.view)), ("edit", delta(u.edit))])
                    })
            ),
            (
                "orphaned",
                .object([("count", number(plan.access.orphaned)), ("sample", strings(plan.access.orphanedSample))])
            ),
            (
                "pool_impact",
                .object([
                    (
                        "returns",
                        .array(
                            plan.pools.returns.map { r in
                                .object([
                                    ("pool", .string(r.pool)), ("account_executive", .string(r.accountExecutive)),
                                    ("count", number(r.count)), ("sample", strings(r.sample)),
                                ])
                            })
                    ),
                    (
                        "lost_members",
                        .array(
                            plan.pools.lostMembers.map { m in
                                .object([("pool", .string(m.pool)), ("users", strings(m.users))])
                            })
                    ),
                ])
            ),
            ("errors", .array(errors)),
        ])
    }
}
