import ClienteleTestSupport
import Foundation
import Testing

@testable import ClienteleCore
@testable import ClienteleEngine
@testable import ClienteleKit
@testable import ClienteleModel
@testable import ClienteleSpec
@testable import ClienteleStore

@Suite("Examples and built-in libraries")
struct ExamplesTests {
    static let examples = TestPaths.subfolders(TestPaths.examples)

    @Test("the examples are found (a suite over no examples would pass for nothing)")
    func examplesFound() {
        #expect(Self.examples.count >= 3)
    }

    @Test("every example validates without errors or warnings", arguments: examples)
    func exampleValidates(_ name: String) {
        let (config, rendered, diagnostics) = compileFixture(TestPaths.examples.appendingPathComponent(name))
        #expect(config != nil, "\(rendered)")
        #expect(diagnostics.isEmpty, "\(rendered)")
    }

    @Test("the call centre and sales examples use every section of the language")
    func examplesUseEverySection() throws {
        for name in ["call-centre", "sales"] {
            let loaded = ConfigLoader().load(directory: TestPaths.examples.appendingPathComponent(name))
            let d = loaded.declarations
            #expect(d.project?.extends.isEmpty == false, "\(name): extends")
            #expect(
                !d.teams.isEmpty && !d.departments.isEmpty && !d.roles.isEmpty && !d.users.isEmpty,
                "\(name): organisation")
            #expect(
                !d.tables.isEmpty && !d.packages.isEmpty && !d.fieldTypes.isEmpty && !d.fields.isEmpty,
                "\(name): schema")
            #expect(
                !d.views.isEmpty && !d.permissionGroups.isEmpty && !d.rules.isEmpty && !d.fieldRules.isEmpty,
                "\(name): access")
            #expect(!d.pools.isEmpty && !d.tests.isEmpty, "\(name): pools and tests")
        }
    }

    @Test("the binary carries the same examples as the repository", arguments: examples)
    func embeddedExampleMatchesFolder(_ name: String) throws {
        let embedded = try #require(ExampleConfig.named(name), "run scripts/embed-libraries")
        let folder = TestPaths.examples.appendingPathComponent(name)
        let onDisk =
            ConfigLoader.yamlFiles(in: folder)
            + ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).filter {
                $0.hasSuffix(".txt") || $0.hasSuffix(".csv")
            }
        #expect(Set(embedded.files.map(\.path)) == Set(onDisk), "run scripts/embed-libraries")
        for file in embedded.files {
            let text = try String(contentsOf: folder.appendingPathComponent(file.path), encoding: .utf8)
            #expect(
                file.text + "\n" == text,
                "\(name)/\(file.path) differs from the embedded copy: run scripts/embed-libraries")
        }
    }

    @Test("the sales example's sample accounts import without a refusal")
    func sampleAccountsAreValid() throws {
        let (config, rendered, _) = compileFixture(TestPaths.examples.appendingPathComponent("sales"))
        let compiled = try #require(config, "\(rendered)")
        let defaults = try ImportTarget.resolve(compiled.model, team: nil, table: "organization", package: nil)
        let mapped = try MappedFile(path: TestPaths.examples.appendingPathComponent("sales/accounts.csv").path)
        let report = try ImportChecker(records: compiled.records, defaults: defaults).check(mapped.bytes, format: .csv)
        #expect(report.rows == 5)
        #expect(report.rejected.isEmpty, "\(ImportReportRenderer.text(report))")
    }

    @Test("the binary carries the same libraries as schemas/ and rules/")
    func embeddedLibrariesMatchFolders() throws {
        let pairs = [
            (EmbeddedLibraries.standardFields, "schemas/standard-fields.yaml"),
            (EmbeddedLibraries.defaultRules, "rules/default-rules.yaml"),
            (EmbeddedLibraries.configSchema, "schemas/clientele-config.schema.json"),
        ]
        for (embedded, path) in pairs {
            let text = try String(contentsOf: TestPaths.repository.appendingPathComponent(path), encoding: .utf8)
            #expect(embedded + "\n" == text, "\(path) differs from the embedded copy: run scripts/embed-libraries")
        }
    }

    @Test("the config language's JSON Schema is valid JSON and lists every section")
    func configSchemaListsSections() throws {
        let schema = try JSONValue.parse(EmbeddedLibraries.configSchema)
        guard case .object(let properties)? = schema["properties"] else {
            Issue.record("no properties")
            return
        }
        let keys = Set(properties.map(\.0))
        for section in Declarations.sections + Declarations.projectKeys {
            #expect(keys.contains(section), "the JSON Schema lacks '\(section)'")
        }
    }

    /// The spec's list, and `categoryCode` (seed 002's CustomerCategoryCode) after `category`.
    @Test("standard fields land in both customer tables, with the spec's identities")
    func standardFields() throws {
        let (config, rendered, _) = compileFixture(TestPaths.examples.appendingPathComponent("starter"))
        let model = try #require(config?.model, "\(rendered)")
        let spec = [
            "name", "phone1", "phone2", "email", "fax", "website", "description", "contactName", "area",
            "serviceZone", "industry", "category", "categoryCode", "customerType", "employees", "paymentTerm",
            "referenceNo",
            "externalId", "externalId2", "source", "billingStreet", "billingCity", "billingState",
            "billingCountry", "billingPostcode", "billingLat", "billingLng", "shippingStreet", "shippingCity",
            "shippingState", "shippingCountry", "shippingPostcode", "shippingLat", "shippingLng",
        ]
        for table in [TableKind.individual, .organization] {
            #expect(model.schema.standardFields[table]?.map(\.identity) == spec)
        }
        #expect(model.schema.standardFields[.workOrder] == nil)
        let name = try #require(model.schema.standardFields[.individual]?.first)
        #expect(name.required && name.spec.maxLength == 200, "the starter adjusts name")
    }
}
