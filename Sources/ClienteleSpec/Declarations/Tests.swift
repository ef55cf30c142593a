import ClienteleCore
/// One `tests:` case: customers given inline, and what users can and cannot do.
public struct TestDecl: Sendable {
    public var name: Located<String>
    public var customers: [TestCustomerDecl]
    public var expectations: [ExpectationDecl]
    public var location: SourceLocation
}

/// A customer of a test, written flat: system keys and field values side by side.
public struct TestCustomerDecl: Sendable {
    public var id: Located<String>
    public var values: [Node.Entry]
    public var location: SourceLocation
}

public struct ExpectationDecl: Sendable {
    public var user: Located<String>
    public var customer: Located<String>
    public var can: [Located<String>]
    public var cannot: [Located<String>]
    public var location: SourceLocation
}

extension DeclarationReader {
    func readTest(_ node: Node) -> TestDecl? {
        guard let m = MappingReader(node, subject: "a test", diagnostics: diagnostics) else { return nil }
        defer { m.finish() }
        guard let name = m.string("name", required: true) else { return nil }
        m.subject = "test '\(name.value)'"
        var customers: [TestCustomerDecl] = []
        if let list = m.value("customers") {
            for item in NodeValue.list(list, what: "'customers' of \(m.subject)", diagnostics) {
                guard let c = MappingReader(item, subject: "a customer of \(m.subject)", diagnostics: diagnostics) else { continue }
                guard let id = c.string("id", required: true) else { continue }
                customers.append(TestCustomerDecl(id: id, values: c.entries.filter { $0.key.value != "id" }, location: c.location))
            }
        }
        var expectations: [ExpectationDecl] = []
        if let list = m.value("expect") {
            for item in NodeValue.list(list, what: "'expect' of \(m.subject)", diagnostics) {
                guard let e = MappingReader(item, subject: "an expectation of \(m.subject)", diagnostics: diagnostics) else { continue }
                defer { e.finish() }
                guard let user = e.string("user", required: true), let customer = e.string("customer", required: true) else { continue }
                let can = e.strings("can") ?? []
                let cannot = e.strings("cannot") ?? []
                if can.isEmpty && cannot.isEmpty {
                    diagnostics.error("an expectation of \(m.subject) needs 'can' or 'cannot'", at: e.location)
                }
                expectations.append(ExpectationDecl(user: user, customer: customer, can: can, cannot: cannot, location: e.location))
            }
        } else {
            m.missing("expect")
        }
        return TestDecl(name: name, customers: customers, expectations: expectations, location: m.location)
    }
}
