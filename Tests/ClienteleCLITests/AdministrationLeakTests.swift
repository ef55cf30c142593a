import ClienteleTestSupport
import Foundation
import Testing

/// What a transfer by id and an upsert matched by a field tell of customers the user
/// may not view, or of values they see masked: nothing.
@Suite("Administration never tells what the user may not see")
struct AdministrationLeakTests {
    typealias Demo = StoreCommandTests.Demo

    /// The sales example with bob's Ann (ann@x.com) and vera's VIP customer.
    func demo() throws -> Demo {
        let dir = try CLI.temporaryDirectory()
        #expect(try CLI.run(["init", dir.path, "--example", "sales"]).exitCode == 0)
        let d = Demo(dir: dir)
        #expect(try d.run(["apply", "--as", "carol"]).exitCode == 0)
        for (user, values) in [
            ("bob", ["name=Ann", "email=ann@x.com", "level=A"]), ("vera", ["name=V", "level=VIP"]),
        ] {
            let run = try d.run(["customer", "add", "--as", user, "--table", "individual"] + values)
            #expect(run.exitCode == 0, "\(run.stderr)")
        }
        return d
    }

    @Test("a transfer by id of a customer the admin may not view names no owner, whoever it is")
    func transferNamesNoOwner() throws {
        let d = try demo()
        // carol may assign P000002 (vera's VIP customer) but not view it.
        #expect(try d.run(["customer", "show", "P000002", "--as", "carol"]).exitCode == 1)
        for to in ["dora", "vera"] {
            let run = try d.run(["customer", "transfer", "P000002", "--to", to, "--as", carol, "--dry-run"])
            #expect(run.exitCode == 0, "\(run.stderr)")
            #expect(run.stdout.contains("would transfer P000002 to \(to)"), "\(run.stdout)")
            #expect(run.stdout.contains("\(to)  gains 1") && !run.stdout.contains("loses"), "\(run.stdout)")
        }
    }

    @Test("an upsert matched by a value the user may not read names no customer")
    func matchNamesNoCustomer() throws {
        let d = try demo()
        let file = d.dir.appendingPathComponent("rows.csv")
        let answers = try ["ann@x.com", "nobody@x.com"].map { email -> String in
            try "Id,E-mail,Level\n,\(email),B\n".write(to: file, atomically: true, encoding: .utf8)
            let run = try d.run([
                "import", file.path, "--update", "--match", "email", "--table", "individual", "--as", "fin",
                "--dry-run",
            ])
            #expect(!run.stdout.contains("P000001"), "\(run.stdout)")
            return run.stdout
        }
        #expect(answers[0].contains("column E-mail: the value is already in use"), "\(answers[0])")
    }

    let carol = "carol"
}
