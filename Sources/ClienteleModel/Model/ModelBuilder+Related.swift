import ClienteleCore
import ClienteleSpec

extension ModelBuilder {
    /// The kinds of `related:`, each with its parents, numbering, access and fields.
    func resolveRelated(_ org: Organization, _ schema: CustomerSchema) -> [RelatedKind] {
        checkDuplicates(d.related.map { ($0.id.value, $0.id.location) }, kind: "related kind")
        var kinds: [(kind: RelatedKind, decl: RelatedKindDecl)] = []
        for k in d.related {
            let subject = "related kind '\(k.id.value)'"
            if k.id.value.utf8.count > 64 {
                diagnostics.error("\(subject) has an id longer than 64 characters", at: k.id.location)
            }
            if let table = TableKind(rawValue: k.id.value) {
                diagnostics.error(
                    "\(subject) has the name of the \(table.rawValue) table; give it another id", at: k.id.location)
            }
            let parents = relatedParents(k, subject: subject)
            let teamKnown = k.team.map { resolve($0, in: org.teams.map(\.id), kind: "team", from: subject) } ?? false
            let team = k.team?.value ?? ""
            var access = RelatedKind.Access.inherit
            if let a = k.access {
                if let parsed = RelatedKind.Access(rawValue: a.value) {
                    access = parsed
                } else {
                    diagnostics.error(
                        "\(subject) has access '\(a.value)'; a related kind's records follow their customer's access (access: inherit), and rules of a kind's own are not available yet",
                        at: a.location)
                }
            }
            var fields: [Field] = []
            for f in k.fields {
                if let unique = f.attributes.unique {
                    diagnostics.error(
                        "\(f.subject) is unique, which the fields of related kinds cannot be yet", at: unique.location)
                }
                let ok = checkIdentities(f, standardFieldsApply: false)
                // Fields are checked whatever else is wrong with the kind.
                if let field = typedField(
                    f, team: team, table: parents.first ?? .individual, origin: .mainTable, schema: schema,
                    identitiesValid: ok)
                {
                    fields.append(field)
                }
            }
            checkDuplicates(
                k.fields.flatMap(\.identities).map { ($0.value, $0.location) }, kind: "field identity",
                listedIn: subject)
            guard teamKnown, !parents.isEmpty else { continue }
            let kind = RelatedKind(
                id: k.id.value, name: k.name?.value, team: team, parents: parents,
                numbering: relatedNumbering(k, subject: subject), access: access, within: k.within?.value,
                fields: fields, location: k.location)
            kinds.append((kind, k))
        }
        checkWithin(kinds)
        checkPrefixes(kinds, schema)
        return kinds.map(\.kind)
    }

    private func relatedParents(_ k: RelatedKindDecl, subject: String) -> [TableKind] {
        guard let names = k.parents else { return [] }
        if names.isEmpty {
            diagnostics.error(
                "'parent' of \(subject) lists no table; name individual, organization or both", at: k.location)
        }
        checkDuplicates(names.map { ($0.value, $0.location) }, kind: "table", listedIn: "'parent' of \(subject)")
        var parents: [TableKind] = []
        for name in names {
            if let table = table(name, from: "'parent' of \(subject)", customersOnly: true), !parents.contains(table) {
                parents.append(table)
            }
        }
        return parents
    }

    private func relatedNumbering(_ k: RelatedKindDecl, subject: String) -> Numbering {
        var numbering = Numbering(
            prefix: String(k.id.value.filter { $0.isASCII && $0.isLetter }.prefix(2)).uppercased(),
            digits: RelatedKind.defaultDigits)
        guard let n = k.number else {
            if numbering.prefix.isEmpty {
                diagnostics.error(
                    "\(subject) has no letter in its id to number its records by: give it 'number: {prefix: ...}'",
                    at: k.id.location)
            }
            return numbering
        }
        if let p = n.prefix {
            if p.value.isEmpty || !p.value.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) {
                diagnostics.error(
                    "the number prefix of \(subject) must be one or more letters and digits", at: p.location)
            }
            numbering.prefix = p.value
        }
        if let dg = n.digits {
            if (1...12).contains(dg.value) {
                numbering.digits = dg.value
            } else {
                diagnostics.error(
                    "'digits' of \(subject) must be between 1 and 12 (it is \(dg.value))", at: dg.location)
            }
        }
        return numbering
    }

    /// `within` names another kind of the same customers, and never leads back to itself.
    private func checkWithin(_ kinds: [(kind: RelatedKind, decl: RelatedKindDecl)]) {
        let byId = Dictionary(kinds.map { ($0.kind.id, $0.kind) }, uniquingKeysWith: { a, _ in a })
        for (k, decl) in kinds {
            guard let within = decl.within else { continue }
            let subject = k.subject
            // A kind declared with mistakes of its own is not looked into.
            guard resolve(within, in: d.related.map(\.id.value), kind: "related kind", from: "'within' of \(subject)"),
                let outer = byId[within.value]
            else { continue }
            if outer.id == k.id {
                diagnostics.error("\(subject) is within itself", at: within.location)
                continue
            }
            if let missing = k.parents.first(where: { !outer.accepts(parent: $0) }) {
                diagnostics.error(
                    "\(subject) is within '\(outer.id)', but a customer of the \(missing.rawValue) table, which may own a record of '\(k.id)', cannot own one of '\(outer.id)'",
                    at: within.location)
                continue
            }
            var seen = [k.id, outer.id]
            var next = outer.within
            while let id = next, let kind = byId[id] {
                if seen.contains(id) {
                    diagnostics.error(
                        "\(subject) is within '\(outer.id)', which leads back to '\(id)': \((seen + [id]).joined(separator: " within "))",
                        at: within.location)
                    break
                }
                seen.append(id)
                next = kind.within
            }
        }
    }

    /// No two numberings may ever give the same id: no prefix may be another's, or another's
    /// followed by digits.
    private func checkPrefixes(_ kinds: [(kind: RelatedKind, decl: RelatedKindDecl)], _ schema: CustomerSchema) {
        var taken: [(owner: String, prefix: String)] = TableKind.allCases.map {
            ("the \($0.rawValue) table", schema.numbering(for: $0).prefix)
        }
        for (k, decl) in kinds {
            let location = decl.number?.prefix?.location ?? decl.id.location
            let prefix = k.numbering.prefix
            // An empty prefix is refused where it is read.
            if prefix.isEmpty { continue }
            if let clash = taken.first(where: { Self.numbersMayMeet($0.prefix, prefix) }) {
                let how = decl.number?.prefix == nil ? " (its default, from its id)" : ""
                diagnostics.error(
                    "\(k.subject) numbers its records '\(prefix)…'\(how), which may give the same ids as \(clash.owner) ('\(clash.prefix)…'); give it another 'number: {prefix: ...}'",
                    at: location)
            }
            taken.append((k.subject, prefix))
        }
    }

    /// Whether a number after `a` may equal a number after `b`: one prefix is the other
    /// followed by nothing but digits.
    static func numbersMayMeet(_ a: String, _ b: String) -> Bool {
        let (short, long) = a.count <= b.count ? (a, b) : (b, a)
        return long.hasPrefix(short) && long.dropFirst(short.count).allSatisfy { $0.isASCII && $0.isNumber }
    }
}
