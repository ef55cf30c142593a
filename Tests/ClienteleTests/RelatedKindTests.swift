import ClienteleTestSupport
import Testing

@testable import ClienteleKit
@testable import ClienteleModel

/// `related:` as the Model resolves it: parents, numbering, access, `within` and
/// fields in the field language of tables. (Its mistakes are the fixture
/// `invalid/related-kinds`.)
@Suite("Related kinds")
struct RelatedKindTests {
    static let files: [(path: String, text: String)] = [
        (
            "clientele.yaml",
            """
            version: 1
            extends: [standard-fields]
            teams: [{ id: sales }, { id: service }]
            roles: [{ id: admin }]
            departments: [{ id: hq }]
            users: [{ id: ada, teams: [sales, service], department: hq, roles: [admin] }]
            field_types:
              phone: { base: input, format: phone, normalize: digits }
            related:
              - id: contacts
                name: Contacts
                team: sales
                parent: [individual, organization]
                number: { prefix: CT, digits: 7 }
                access: inherit
                fields:
                  - { identity: fullName, display: Full name, type: input, required: true }
                  - { identity: role, type: select, options: [buyer, decision maker, finance, technical] }
                  - { identity: mobile, type: phone }
                  - { identity: since, type: date, default: "2026-01-01" }
              - id: sites
                team: service
                parent: organization
              - id: assets
                team: service
                parent: [organization]
                within: sites
            """
        )
    ]

    @Test("kinds keep their parents, numbering, access, within and typed fields")
    func resolved() throws {
        let (config, errors) = SeededStores.compile(Self.files)
        #expect(errors.isEmpty, "\(errors)")
        let model = try #require(config?.model)
        #expect(model.related.map(\.id) == ["contacts", "sites", "assets"])
        let contacts = try #require(model.relatedKind("contacts"))
        #expect(contacts.name == "Contacts" && contacts.team == "sales")
        #expect(contacts.parents == [.individual, .organization])
        #expect(contacts.numbering == Numbering(prefix: "CT", digits: 7))
        #expect(contacts.access == .inherit && contacts.within == nil)
        #expect(contacts.fields.map(\.identity) == ["fullName", "role", "mobile", "since"])
        #expect(contacts.fields[0].required && contacts.fields[0].display == "Full name")
        #expect(contacts.fields[1].spec.options.map(\.value) == ["buyer", "decision maker", "finance", "technical"])
        #expect(contacts.fields[2].spec.typeName == "phone" && contacts.fields[2].spec.normalize == .digits)
        #expect(contacts.fields[3].defaultValue == .string("2026-01-01"))
        let assets = try #require(model.relatedKind("assets"))
        #expect(assets.within == "sites" && assets.parents == [.organization])
        #expect(assets.numbering == Numbering(prefix: "AS", digits: RelatedKind.defaultDigits), "from the id")
        #expect(model.relatedKind("sites")?.numbering.prefix == "SI")
    }

    @Test("a kind's fields land in no table: customers keep theirs")
    func customersUnchanged() throws {
        let model = try #require(SeededStores.compile(Self.files).config?.model)
        let customerFields = model.schema.fields(team: "sales", table: .individual, package: nil).map(\.identity)
        #expect(!customerFields.contains("fullName") && customerFields.contains("name"))
    }

    @Test(
        "numberings that could give the same id are told apart",
        arguments: [
            ("P", "P", true), ("P", "P1", true), ("P1", "P", true), ("P", "PA", false), ("CT", "C", false),
            ("CT", "CT0", true), ("AB", "BA", false),
        ])
    func numbersMeet(_ a: String, _ b: String, _ meet: Bool) {
        #expect(ModelBuilder.numbersMayMeet(a, b) == meet)
    }
}
