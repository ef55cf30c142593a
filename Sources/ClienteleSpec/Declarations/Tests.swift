import ClienteleCore

/// One `tests:` case: customers given inline, and what users can and cannot do.
package struct TestDecl: Sendable {
    package var name: Located<String>
    package var customers: [TestCustomerDecl]
    package var expectations: [ExpectationDecl]
    package var location: SourceLocation
}

/// A customer of a test, written flat: system keys and field values side by side.
package struct TestCustomerDecl: Sendable {
    package var id: Located<String>
    package var values: [Node.Entry]
    package var location: SourceLocation
}

package struct ExpectationDecl: Sendable {
    package var user: Located<String>
    package var customer: Located<String>
    package var can: [Located<String>]
    package var cannot: [Located<String>]
    package var location: SourceLocation
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
                guard let c = MappingReader(item, subject: "a customer of \(m.subject)", diagnostics: diagnostics)
                else { continue }
                guard let id = c.string("id", required: true) else { continue }
                customers.append(
                    TestCustomerDecl(id: id, values: c.entries.filter { $0.key.value != "id" }, location: c.location))
            }
        }
        var expectations: [ExpectationDecl] = []
        if let list = m.value("expect") {
            for item in NodeValue.list(list, what: "'expect' of \(m.subject)", diagnostics) {
                guard let e = MappingReader(item, subject: "an expectation of \(m.subject)", diagnostics: diagnostics)
                else { continue }
                defer { e.finish() }
                guard let user = e.string("user", required: true), let customer = e.string("customer", required: true)
                else { continue }
                let can = e.strings("can") ?? []
                let cannot = e.strings("cannot") ?? []
                if can.isEmpty && cannot.isEmpty {
                    diagnostics.error("an expectation of \(m.subject) needs 'can' or 'cannot'", at: e.location)
                }
                expectations.append(
                    ExpectationDecl(user: user, customer: customer, can: can, cannot: cannot, location: e.location))
            }
        } else {
            m.missing("expect")
        }
        return TestDecl(name: name, customers: customers, expectations: expectations, location: m.location)
    }
}
