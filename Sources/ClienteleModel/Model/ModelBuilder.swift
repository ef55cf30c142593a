import ClienteleCore
import ClienteleSpec
import Foundation

/// Resolves `Declarations` into a `Model`: every reference looked up, every rule of
/// the configuration language checked, every problem collected.
package struct ModelBuilder {
    package static let supportedVersion = 1
    package static let defaultStorePath = ".clientele/store"
    /// Identities that name system keys of a record.
    package static let reservedIdentities: Set<String> = [
        "id", "number", "team", "table", "package", "tags", "pool", "shared", "followers",
    ]

    let loaded: LoadedConfig
    let diagnostics = DiagnosticCollector()
    var d: Declarations { loaded.declarations }

    package init(_ loaded: LoadedConfig) {
        self.loaded = loaded
    }

    /// The model, or nil when any error was found; diagnostics sorted by location.
    package static func build(_ loaded: LoadedConfig) -> (model: Model?, diagnostics: [Diagnostic]) {
        let builder = ModelBuilder(loaded)
        let model = builder.build()
        let all = (loaded.diagnostics + builder.diagnostics.diagnostics).sortedByLocation()
        return (all.hasErrors ? nil : model, all)
    }

    func build() -> Model {
        let project = resolveProject()
        let organization = resolveOrganization()
        let schema = resolveSchema(organization)
        return Model(
            name: project.name, version: project.version, storePath: project.store, extends: project.extends,
            binDays: resolveBinDays(),
            organization: organization, schema: schema,
            views: resolveViews(organization, schema),
            permissionGroups: resolvePermissionGroups(organization, schema),
            rules: resolveRules(),
            fieldRules: resolveFieldRules(organization, schema),
            pools: resolvePools(organization, schema),
            validationRules: resolveValidationRules(organization, schema),
            lists: resolveLists(organization, schema),
            duplicates: resolveDuplicates(organization, schema),
            related: resolveRelated(organization, schema),
            tests: resolveTests(organization, schema))
    }

    /// The bin keeps deleted customers 30 days unless `bin: {days: N}` says otherwise.
    static let defaultBinDays = 30

    private func resolveBinDays() -> Int {
        guard let days = d.project?.binDays else { return Self.defaultBinDays }
        guard (1...36_500).contains(days.value) else {
            diagnostics.error("'days' of 'bin' must be from 1 to 36500, not \(days.value)", at: days.location)
            return Self.defaultBinDays
        }
        return days.value
    }

    private func resolveProject() -> (name: String?, version: Int, store: String, extends: [String]) {
        guard let p = d.project else {
            return (nil, Self.supportedVersion, Self.defaultStorePath, [])
        }
        if let v = p.version {
            if v.value > Self.supportedVersion {
                diagnostics.error(
                    "this config is written in version \(v.value) of the configuration language, but this clientele reads version \(Self.supportedVersion); upgrade clientele",
                    at: v.location)
            } else if v.value < Self.supportedVersion {
                diagnostics.error("'version' must be \(Self.supportedVersion), not \(v.value)", at: v.location)
            }
        } else {
            diagnostics.error("clientele.yaml needs 'version: \(Self.supportedVersion)'", at: p.location)
        }
        if let store = p.store, store.value.isEmpty {
            diagnostics.error("'store' must name a folder", at: store.location)
        }
        checkDuplicates(p.extends.map { ($0.value, $0.location) }, kind: "library", listedIn: "'extends'")
        return (p.name?.value, Self.supportedVersion, p.store?.value ?? Self.defaultStorePath, p.extends.map(\.value))
    }

    // MARK: - Helpers shared by every section

    /// Reports every id given twice, naming both places; `listedIn` phrases it as a
    /// repeated entry of a list ("'view' is listed twice in rule 'owner'").
    func checkDuplicates(_ items: [(String, SourceLocation)], kind: String, listedIn: String? = nil) {
        var first: [String: SourceLocation] = [:]
        for (id, location) in items {
            if let earlier = first[id] {
                let message =
                    listedIn.map { "\(kind) '\(id)' is listed twice in \($0)" } ?? "\(kind) '\(id)' is defined twice"
                diagnostics.error(
                    message, at: location,
                    notes: [.init("'\(id)' is first \(listedIn == nil ? "defined" : "listed") here", at: earlier)])
            } else {
                first[id] = location
            }
        }
    }

    /// Checks that `reference` names one of `candidates`; reports it otherwise.
    @discardableResult
    func resolve(
        _ reference: Located<String>, in candidates: some Collection<String>, kind: String, from subject: String
    ) -> Bool {
        if candidates.contains(reference.value) { return true }
        diagnostics.error(
            "\(subject) names \(kind) '\(reference.value)', which is not defined\(Suggestion.didYouMean(reference.value, in: candidates))",
            at: reference.location)
        return false
    }

    func resolveAll(
        _ references: [Located<String>], in candidates: some Collection<String>, kind: String, from subject: String
    ) -> [String] {
        references.filter { resolve($0, in: candidates, kind: kind, from: subject) }.map(\.value)
    }

    func table(_ name: Located<String>?, from subject: String, customersOnly: Bool = false) -> TableKind? {
        guard let name else { return nil }
        let allowed = TableKind.allCases.filter { !customersOnly || $0.isCustomerTable }
        if let kind = TableKind(rawValue: name.value), allowed.contains(kind) { return kind }
        let names = allowed.map(\.rawValue)
        diagnostics.error(
            "\(subject) names table '\(name.value)'\(Suggestion.hint(name.value, in: names, listing: "tables"))",
            at: name.location)
        return nil
    }

    func actions(_ names: [Located<String>], from subject: String) -> [Action] {
        names.compactMap { name in
            if let action = Action(rawValue: name.value) { return action }
            diagnostics.error(
                "\(subject) names action '\(name.value)', which does not exist\(Suggestion.hint(name.value, in: Action.names, listing: "actions"))",
                at: name.location)
            return nil
        }
    }

    func nonNegative(_ value: Located<Int>?, _ what: String) -> Int? {
        guard let value else { return nil }
        if value.value < 0 {
            diagnostics.error("\(what) must not be negative (it is \(value.value))", at: value.location)
            return nil
        }
        return value.value
    }
}
