import ClienteleTestSupport
import Foundation
import Testing

@testable import ClienteleCore
@testable import ClienteleEngine
@testable import ClienteleKit
@testable import ClienteleModel
@testable import ClienteleSpec
@testable import ClienteleStore

/// Spec section 4's change rules, on pairs of configs in memory: each refused
/// change is an error that points at the new config.
@Suite("Change rules")
struct ChangeRuleTests {
    static func model(
        _ fields: String,
        packages: String = "[{ id: a, team: sales, table: individual }, { id: b, team: sales, table: individual }]"
    ) throws -> Model {
        let sources: [(path: String, text: String)] = [
            ("clientele.yaml", "version: 1\n"),
            ("config.yaml", "teams: [{ id: sales }, { id: service }]\npackages: \(packages)\nfields:\n\(fields)"),
        ]
        let (config, diagnostics, _) = Pipeline.compile(ConfigLoader().load(sources: sources))
        return try #require(config, "\(diagnostics)").model
    }

    static func errors(_ before: String, _ after: String) throws -> [String] {
        let old = try model(before)
        let new = try model(after)
        return Planner.changeRuleErrors(diff: ConfigDiff(old: old, new: new), old: old, new: new).map {
            "\($0.location?.line ?? 0): \($0.message)"
        }
    }

    @Test("a field created without packages can never be given packages")
    func mainFieldGainsPackages() throws {
        let errors = try Self.errors(
            "  - { identity: level, team: sales, table: individual, type: input }\n",
            "  - { identity: level, team: sales, table: individual, packages: [a], type: input }\n")
        #expect(
            errors == [
                "4: field 'level' was created without packages, so it can never be given packages; to give packages a field of this identity, keep this one and add a second customization that names them"
            ])
    }

    @Test("a field's packages only grow; growing is allowed")
    func packagesOnlyGrow() throws {
        let one = "  - { identity: code, team: sales, table: individual, packages: [a], type: input }\n"
        let two = "  - { identity: code, team: sales, table: individual, packages: [a, b], type: input }\n"
        #expect(try Self.errors(one, two).isEmpty)
        #expect(
            try Self.errors(two, one) == [
                "4: field 'code' loses package 'b': a field's packages only grow; put it back in its 'packages'"
            ])
        let other = "  - { identity: code, team: sales, table: individual, packages: [b], type: input }\n"
        #expect(try Self.errors(one, other).count == 1, "a scope change is still the same field")
    }

    @Test("type changes only between input and select, and to a refinement of the same base")
    func typeChanges() throws {
        let input = "  - { identity: size, team: sales, table: individual, type: input }\n"
        #expect(
            try Self.errors(
                input, "  - { identity: size, team: sales, table: individual, type: select, options: [S, M] }\n"
            ).isEmpty)
        #expect(
            try Self.errors(input, "  - { identity: size, team: sales, table: individual, type: integer }\n")
                == [
                    "4: field 'size' cannot change type from input to integer: only input and select change into each other; add a new field instead"
                ])
        #expect(
            try Self.errors(
                "  - { identity: size, team: sales, table: individual, type: select, options: [S] }\n", input
            ).isEmpty)
    }

    @Test("was: must name a field of the same team and table")
    func renames() throws {
        let old = "  - { identity: grade, team: sales, table: individual, type: input }\n"
        #expect(
            try Self.errors(old, "  - { identity: tier, was: grade, team: sales, table: individual, type: input }\n")
                .isEmpty)
        #expect(
            try Self.errors(old, "  - { identity: tier, was: grade, team: service, table: individual, type: input }\n")
                == [
                    "4: field 'tier' says 'was: grade', but 'grade' belongs to the individual table of team 'sales': identity, team and table never change"
                ])
        #expect(
            try Self.errors(
                old, old + "  - { identity: tier, was: grad, team: sales, table: individual, type: input }\n")
                == [
                    "5: field 'tier' says 'was: grad', but the applied config has no field 'grad' in the individual table of team 'sales'; remove 'was:' to add a new field"
                ])
    }

    @Test("a package never moves to another team or table")
    func packageMoves() throws {
        let old = try Self.model(
            "  []\n".replacingOccurrences(
                of: "  []\n", with: "  - { identity: x, team: sales, table: individual, type: input }\n"))
        let new = try Self.model(
            "  - { identity: x, team: sales, table: individual, type: input }\n",
            packages: "[{ id: a, team: service, table: individual }, { id: b, team: sales, table: individual }]")
        let errors = Planner.changeRuleErrors(diff: ConfigDiff(old: old, new: new), old: old, new: new)
        #expect(
            errors.map(\.message) == ["package 'a' cannot move to another team or table; create a new package instead"])
    }

    @Test("the diff pairs renamed fields and options, and sees added and removed ones")
    func diff() throws {
        let old = try Self.model(
            "  - { identity: grade, team: sales, table: individual, type: select, options: [A, B, C] }\n")
        let new = try Self.model(
            "  - { identity: tier, was: grade, team: sales, table: individual, type: select, options: [{value: Alpha, was: [A]}, B, D] }\n"
        )
        let changes = ConfigDiff(old: old, new: new).changes.map {
            "\($0.kind.rawValue) \($0.entity) \($0.id) \($0.details)"
        }
        #expect(
            changes == [
                #"renamed field sales/individual/tier ["identity: grade -> tier", "display: grade -> tier"]"#,
                #"renamed option sales/individual/tier: Alpha ["was: A"]"#,
                #"added option sales/individual/tier: D []"#,
                #"removed option sales/individual/tier: C []"#,
            ])
    }
}
