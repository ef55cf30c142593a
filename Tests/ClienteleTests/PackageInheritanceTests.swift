import ClienteleTestSupport
import Foundation
import Testing

@testable import ClienteleCore
@testable import ClienteleEngine
@testable import ClienteleKit
@testable import ClienteleModel
@testable import ClienteleSpec
@testable import ClienteleStore

/// A main-table field reaches only the packages created after it: the validator
/// builder takes what each package inherited as an input.
@Suite("Package inheritance")
struct PackageInheritanceTests {
    static let sources: [(path: String, text: String)] = [
        ("clientele.yaml", "version: 1\n"),
        (
            "config.yaml",
            """
            teams: [{ id: sales }]
            packages:
              - { id: old, team: sales, table: individual }
              - { id: new, team: sales, table: individual }
              - { id: inbound, team: sales, table: individual, module: call-center }
            fields:
              - { identity: level, team: sales, table: individual, type: select, options: [A, B], display: Level }
              - { identity: level, team: sales, table: individual, packages: [inbound], type: input }
              - { identity: budget, team: sales, table: individual, packages: [old, new], type: integer }
              - { identity: tier, team: sales, table: organization, type: select, options: [gold, silver], required: true, default: silver }
              - { identity: code, team: sales, table: organization, type: input, required: true }
            """
        ),
    ]

    func problems(_ record: String, inheritance: PackageInheritance) throws -> [RecordProblem] {
        let (config, diagnostics, _) = Pipeline.compile(
            ConfigLoader().load(sources: Self.sources), inheritance: inheritance)
        let compiled = try #require(config, "\(diagnostics)")
        var tape = JSONTape()
        let bytes = Array(record.utf8)
        return try bytes.withUnsafeBufferPointer { b in
            try tape.parse(b)
            var scratch: [Int32] = []
            var problems: [RecordProblem] = []
            _ = tape.withView(bytes: b) { compiled.records.validate($0, scratch: &scratch, problems: &problems) }
            return problems
        }
    }

    @Test("without a store every campaign package inherits the main-table fields")
    func firstApplyInheritsAll() throws {
        for package in ["old", "new"] {
            let record =
                #"{"team":"sales","table":"individual","package":"\#(package)","fields":{"level":"A","budget":5}}"#
            #expect(try problems(record, inheritance: .everything).isEmpty)
        }
    }

    @Test("a package created before a main-table field does not have it, and the message says why")
    func olderPackageLacksField() throws {
        let inheritance = PackageInheritance(inherited: ["old": [], "new": ["level"]])
        let old = try problems(
            #"{"team":"sales","table":"individual","package":"old","fields":{"level":"A"}}"#, inheritance: inheritance)
        #expect(old.map(\.column) == ["level"])
        #expect(old.first?.message.contains("did not inherit") == true, "\(old)")
        #expect(
            try problems(
                #"{"team":"sales","table":"individual","package":"new","fields":{"level":"A"}}"#,
                inheritance: inheritance
            ).isEmpty)
    }

    @Test("a call-center package gets no main-table field; its own customization of the identity wins")
    func callCenterIsIndependent() throws {
        // `level` there is the package's own input, so any text is valid, not only A or B.
        #expect(
            try problems(
                #"{"team":"sales","table":"individual","package":"inbound","fields":{"level":"anything"}}"#,
                inheritance: .everything
            ).isEmpty)
        let budget = try problems(
            #"{"team":"sales","table":"individual","package":"inbound","fields":{"budget":1}}"#,
            inheritance: .everything)
        #expect(budget.map(\.column) == ["budget"])
    }

    @Test("a required field with a default may be left out; without a default it may not")
    func requiredWithDefault() throws {
        let p = try problems(#"{"team":"sales","table":"organization","fields":{}}"#, inheritance: .everything)
        #expect(p.map(\.column) == ["code"])
        let given = try problems(
            #"{"team":"sales","table":"organization","fields":{"code":"X","tier":"bronze"}}"#, inheritance: .everything)
        #expect(given.map(\.column) == ["tier"], "a given value is still checked")
    }

    @Test("the main table checks its own select")
    func mainTable() throws {
        let p = try problems(#"{"team":"sales","table":"individual","fields":{"level":"C"}}"#, inheritance: .everything)
        #expect(p.map(\.column) == ["level"])
        #expect(p.first?.message == "'level' (Level) expects one of A, B, got \"C\"")
    }
}
