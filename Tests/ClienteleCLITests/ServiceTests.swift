import ClienteleKit
import ClienteleService
import ClienteleTestSupport
import Foundation
import Logging
import Testing

/// `clientele serve` end to end: the built binary on an ephemeral loopback port,
/// driven over HTTP. Every refusal is checked to leave the store's bytes as they were.
@Suite("Service: clientele serve over HTTP", .serialized)
struct ServiceTests {
    @Test("the operations routes answer without a key; every other route needs one (401, with a problem document)")
    func authentication() async throws {
        let s = try await ServedStore.start(customers: 1)
        defer { s.stop() }
        for path in ["/healthz", "/readyz", "/metrics", "/openapi.yaml"] {
            #expect(try await s.request(.GET, path).status == 200, "\(path)")
        }
        #expect(try await s.request(.GET, "/openapi.yaml").body.hasPrefix("openapi: 3.1.0"))
        let before = try s.storeBytes()
        for (raw, why) in [
            (nil, "no key"), ("Bearer clt_nope", "an unknown key"), ("Basic Ym9iOmJvYg==", "not a bearer key"),
            ("Bearer", "an empty key"),
        ] {
            let r = try await s.request(.GET, "/v1/visible", raw: raw)
            #expect(r.status == 401, "\(why)")
            #expect(r.contentType == "application/problem+json", "\(why)")
            #expect(r.headers.first(name: "www-authenticate")?.hasPrefix("Bearer") == true, "\(why)")
            #expect((r.object["status"] as? Int) == 401)
        }
        let written = try await s.request(
            .POST, "/v1/customers", raw: "Bearer clt_nope", body: #"{"table":"individual","fields":{"name":"X"}}"#)
        #expect(written.status == 401)
        #expect(try s.storeBytes() == before)

        // A user key acts as its user; a service key as the user the request names.
        #expect(try await s.request(.GET, "/v1/visible", key: "bob").object["count"] as? Int == 1)
        #expect(try await s.request(.GET, "/v1/visible", key: "erin").object["count"] as? Int == 0)
        #expect(try await s.request(.GET, "/v1/visible", key: "app", user: "bob").object["count"] as? Int == 1)
        let unnamed = try await s.request(.GET, "/v1/visible", key: "app")
        #expect(unnamed.status == 400)
        #expect(unnamed.detail.contains("Clientele-User"))
        #expect(try await s.request(.GET, "/v1/visible", key: "app", user: "nobody").status == 400)
        let other = try await s.request(.GET, "/v1/visible", key: "erin", user: "bob")
        #expect(other.status == 403)

        // A revoked key is refused from the service's next refresh.
        #expect(try await s.cli(["key", "revoke", "erin", "--as", "carol"]).exitCode == 0)
        let refused = try await s.within(1) {
            try await s.request(.GET, "/v1/visible", key: "erin").status == 401
        }
        #expect(refused != nil, "a revoked key is refused within 1 s")
        let stopped = s.stop()
        #expect(stopped.code == 0)
        #expect(stopped.seconds < 5)
    }

    @Test("POST /v1/decisions answers in request order as can --batch does; a user key asks only for itself")
    func decisions() async throws {
        let s = try await ServedStore.start(customers: 2)
        defer { s.stop() }
        let body = #"""
            {"requests":[{"user":"bob","action":"edit","customer":"P000001"},
            {"user":"erin","action":"view","customer":"P000001"},
            {"user":"alice","action":"delete","customer":"P000002"},
            {"user":"nobody","action":"view","customer":"P000001"},
            {"user":"bob","action":"fly","customer":"P000001"},
            {"user":"bob","action":"view","customer":"P999999"}]}
            """#
        let r = try await s.request(.POST, "/v1/decisions", key: "app", body: body)
        #expect(r.status == 200)
        let decisions = r.object["decisions"] as? [[String: Any]] ?? []
        #expect(decisions.count == 6)
        #expect(decisions.map { $0["allowed"] as? Bool } == [true, false, false, false, false, false])
        #expect(decisions[0]["rule"] as? String == "default.owner")
        #expect((decisions[3]["error"] as? String)?.contains("no user") == true)
        #expect((decisions[4]["error"] as? String)?.contains("no action") == true)
        #expect((decisions[5]["error"] as? String)?.contains("no stored customer") == true)

        // The same requests through can --batch decide the same.
        let lines = try s.dir.appendingPathComponent("requests.jsonl")
        try """
        {"user":"bob","action":"edit","customer":"P000001"}
        {"user":"erin","action":"view","customer":"P000001"}
        {"user":"alice","action":"delete","customer":"P000002"}

        """.write(to: lines, atomically: true, encoding: .utf8)
        let batch = try await s.cli(["can", "--batch", lines.path])
        let cli = batch.stdout.split(separator: "\n").map {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any] ?? [:]
        }
        #expect(cli.map { $0["allowed"] as? Bool } == decisions.prefix(3).map { $0["allowed"] as? Bool })
        #expect(cli.map { $0["rule"] as? String } == decisions.prefix(3).map { $0["rule"] as? String })

        // bob asks for himself; not for erin (403); carol, an admin, for anyone.
        let own = #"{"requests":[{"user":"bob","action":"view","customer":"P000001"}]}"#
        #expect(try await s.request(.POST, "/v1/decisions", key: "bob", body: own).status == 200)
        let others = #"{"requests":[{"user":"erin","action":"view","customer":"P000001"}]}"#
        let refused = try await s.request(.POST, "/v1/decisions", key: "bob", body: others)
        #expect(refused.status == 403)
        #expect(try await s.request(.POST, "/v1/decisions", key: "carol", body: others).status == 200)
        // To erin asking for herself, a customer that does not exist is one she may not act on.
        let erin = #"{"requests":[{"user":"erin","action":"view","customer":"P999999"}]}"#
        let hidden = try await s.request(.POST, "/v1/decisions", key: "erin", body: erin)
        #expect(hidden.body == #"{"decisions":[{"allowed":false,"rule":null}]}"#)

        // Bad input: 400, never 500.
        let tooMany =
            "{\"requests\":["
            + Array(repeating: #"{"user":"bob","action":"view","customer":"P000001"}"#, count: 10_001).joined(
                separator: ",") + "]}"
        for (bad, why) in [
            ("{", "not JSON"), ("[]", "not an object"), (#"{"requests":{}}"#, "requests not an array"),
            (#"{"requests":[],"x":1}"#, "an unknown member"), (#"{"requests":[1]}"#, "a request not an object"),
            (#"{"requests":[{"user":1,"action":"view","customer":"P000001"}]}"#, "a number for a user"),
            (#"{"requests":[{"user":"bob","action":"view","customer":"P000001","why":"x"}]}"#, "an unknown member"),
            (#"{"requests":[{"user":"bob","user":"erin","action":"view","customer":"P000001"}]}"#, "a member twice"),
            ("", "no body"), (tooMany, "10,001 requests"),
        ] {
            let r = try await s.request(.POST, "/v1/decisions", key: "app", body: bad)
            #expect(r.status == 400, "\(why): \(r.body.prefix(200))")
            #expect(r.contentType == "application/problem+json", "\(why)")
        }
        let huge = "{\"requests\":[" + String(repeating: " ", count: 5 << 20) + "]}"
        #expect(try await s.request(.POST, "/v1/decisions", key: "app", body: huge).status == 413)
    }

    @Test("customers: add, show with an ETag, edit with If-Match, delete; 403, 404, 409 and 412 change nothing")
    func customers() async throws {
        let s = try await ServedStore.start(customers: 1)
        defer { s.stop() }
        let added = try await s.request(
            .POST, "/v1/customers", key: "bob",
            body: #"{"table":"individual","fields":{"name":"Li Wang","email":"LI@example.com","level":"B"}}"#)
        #expect(added.status == 201, "\(added.body)")
        #expect(added.headers.first(name: "location") == "/v1/customers/P000002")
        let etag = added.headers.first(name: "etag") ?? ""
        #expect(etag.hasPrefix("\""))
        #expect((added.object["fields"] as? [String: Any])?["email"] as? String == "li@example.com")

        let shown = try await s.request(.GET, "/v1/customers/P000002", key: "bob")
        #expect(shown.status == 200)
        #expect(shown.headers.first(name: "etag") == etag)

        var before = try s.storeBytes()
        // Refusals: each leaves the store as it was.
        let missing = try await s.request(.GET, "/v1/customers/P000099", key: "erin")
        let unseen = try await s.request(.GET, "/v1/customers/P000002", key: "erin")
        #expect(missing.status == 404)
        #expect(unseen.status == 404)
        #expect(unseen.detail == missing.detail.replacingOccurrences(of: "P000099", with: "P000002"))
        let unseenEdit = try await s.request(
            .PATCH, "/v1/customers/P000002", key: "erin", body: #"{"fields":{"name":"X"}}"#)
        #expect(unseenEdit.status == 404)
        let duplicate = try await s.request(
            .POST, "/v1/customers", key: "bob",
            body: #"{"table":"individual","fields":{"name":"Z","email":"li@example.com"}}"#)
        #expect(duplicate.status == 409, "\(duplicate.body)")
        #expect(duplicate.detail.contains("already in use"))
        let invalid = try await s.request(
            .POST, "/v1/customers", key: "bob", body: #"{"table":"individual","fields":{"name":"Z","level":"Q"}}"#)
        #expect(invalid.status == 400)
        #expect(invalid.detail.contains("level"))
        let noTable = try await s.request(.POST, "/v1/customers", key: "bob", body: #"{"fields":{"name":"Z"}}"#)
        #expect(noTable.status == 400)
        let deleteRefused = try await s.request(.DELETE, "/v1/customers/P000002", key: "bob")
        #expect(deleteRefused.status == 403)
        #expect(deleteRefused.detail.contains("bob may not delete P000002"))
        let stale = try await s.request(
            .PATCH, "/v1/customers/P000002", key: "bob", body: #"{"fields":{"level":"C"}}"#,
            headers: [("If-Match", "\"0000\"")])
        #expect(stale.status == 412)
        #expect(try s.storeBytes() == before)

        let edited = try await s.request(
            .PATCH, "/v1/customers/P000002", key: "bob", body: #"{"fields":{"level":"C","phone1":null}}"#,
            headers: [("If-Match", etag)])
        #expect(edited.status == 200, "\(edited.body)")
        #expect((edited.object["fields"] as? [String: Any])?["level"] as? String == "C")
        #expect(edited.headers.first(name: "etag") != etag)
        // The old ETag no longer matches.
        before = try s.storeBytes()
        let again = try await s.request(
            .PATCH, "/v1/customers/P000002", key: "bob", body: #"{"fields":{"level":"A"}}"#,
            headers: [("If-Match", etag)])
        #expect(again.status == 412)
        #expect(try s.storeBytes() == before)

        // Logged as the command line logs.
        let log = try await s.request(.GET, "/v1/log?customer=P000002", key: "bob")
        let types = (log.object["entries"] as? [[String: Any]] ?? []).compactMap { $0["type"] as? String }
        #expect(types == ["create", "edit"])

        #expect(try await s.request(.DELETE, "/v1/customers/P000002", key: "carol").status == 204)
        #expect(try await s.request(.GET, "/v1/customers/P000002", key: "carol").status == 404)
    }

    @Test("lists: visible and customers page in number order with a cursor; who-can names users and rules")
    func lists() async throws {
        let s = try await ServedStore.start(customers: 12)
        defer { s.stop() }
        var seen: [String] = []
        var after: String?
        repeat {
            let r = try await s.request(
                .GET, "/v1/visible?limit=5" + (after.map { "&after=" + $0 } ?? ""), key: "bob")
            #expect(r.status == 200)
            #expect(r.object["count"] as? Int == 12)
            seen += r.object["customers"] as? [String] ?? []
            after = r.object["next"] as? String
        } while after != nil
        #expect(seen == (1...12).map { String(format: "P%06d", $0) })

        let page = try await s.request(.GET, "/v1/customers?limit=10&search=customer%201", key: "bob")
        #expect(page.status == 200)
        let ids = (page.object["customers"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
        #expect(ids == ["P000001", "P000010", "P000011", "P000012"])

        let who = try await s.request(.GET, "/v1/customers/P000003/who-can?action=edit", key: "app")
        let users = (who.object["users"] as? [[String: Any]] ?? []).compactMap { $0["user"] as? String }
        // alice manages bob, but her permission group (east-managers, level A) decides what she edits.
        #expect(Set(users) == ["bob", "carol"])
        #expect(try await s.request(.GET, "/v1/customers/P000003/who-can", key: "erin").status == 404)
        for bad in ["/v1/visible?limit=0", "/v1/visible?action=fly", "/v1/visible?x=1", "/v1/customers?table=t"] {
            #expect(try await s.request(.GET, bad, key: "bob").status == 400, "\(bad)")
        }
    }

    @Test("pools: return, claim and assign over HTTP; a claim of a customer in no pool is a conflict")
    func pools() async throws {
        let s = try await ServedStore.start(customers: 2)
        defer { s.stop() }
        let returned = try await s.request(
            .POST, "/v1/pool/return", key: "bob", body: #"{"customers":["P000001"],"reason":"no-budget"}"#)
        #expect(returned.status == 200, "\(returned.body)")
        let before = try s.storeBytes()
        let notInPool = try await s.request(.POST, "/v1/pool/claim", key: "dora", body: #"{"customers":["P000002"]}"#)
        #expect([404, 409].contains(notInPool.status), "\(notInPool.body)")
        let erin = try await s.request(.POST, "/v1/pool/claim", key: "erin", body: #"{"customers":["P000001"]}"#)
        #expect(erin.status == 403 || erin.status == 404, "\(erin.body)")
        #expect(try s.storeBytes() == before)
        let claimed = try await s.request(.POST, "/v1/pool/claim", key: "dora", body: #"{"customers":["P000001"]}"#)
        #expect(claimed.status == 200, "\(claimed.body)")
        #expect(claimed.object["claimed"] as? [String] == ["P000001"])
        let shown = try await s.request(.GET, "/v1/customers/P000001", key: "dora")
        #expect(shown.object["account_executive"] as? String == "dora")
        let back = try await s.request(
            .POST, "/v1/pool/return", key: "dora", body: #"{"customers":["P000001"],"reason":"other"}"#)
        #expect(back.status == 200)
        let assigned = try await s.request(
            .POST, "/v1/pool/assign", key: "carol", body: #"{"customers":["P000001"],"to":"bob"}"#)
        #expect(assigned.status == 200, "\(assigned.body)")
        #expect(try await s.request(.PUT, "/v1/customers/P000001/follow", key: "bob").status == 200)
        let tagged = try await s.request(.POST, "/v1/customers/P000001/tags", key: "bob", body: #"{"tags":["hot"]}"#)
        #expect(tagged.status == 200)
        let shared = try await s.request(
            .POST, "/v1/customers/P000001/shares", key: "bob", body: #"{"users":["erin"]}"#)
        #expect(shared.status == 200, "\(shared.body)")
        #expect(try await s.request(.GET, "/v1/customers/P000001", key: "erin").status == 200)
        let followup = try await s.request(
            .POST, "/v1/customers/P000001/followups", key: "bob", body: #"{"note":"called"}"#)
        #expect(followup.status == 201, "\(followup.body)")
    }

    @Test(
        "transfers: a dry run changes nothing, named customers or a where selection change hands, a non-admin is refused"
    )
    func transfers() async throws {
        let s = try await ServedStore.start(customers: 2)
        defer { s.stop() }
        let before = try s.storeBytes()
        let refused = try await s.request(
            .POST, "/v1/transfers", key: "bob", body: #"{"customers":["P000001"],"to":"dora"}"#)
        #expect(refused.status == 403, "\(refused.body)")
        let dry = try await s.request(
            .POST, "/v1/transfers", key: "carol", body: #"{"customers":["P000001"],"to":"dora","dry_run":true}"#)
        #expect(dry.status == 200, "\(dry.body)")
        #expect(dry.object["transferred"] as? [String] == ["P000001"])
        #expect(dry.object["dry_run"] as? Bool == true)
        #expect(try s.storeBytes() == before)
        let both = try await s.request(
            .POST, "/v1/transfers", key: "carol", body: #"{"customers":["P000001"],"where":"true","to":"dora"}"#)
        #expect(both.status == 400)
        let done = try await s.request(.POST, "/v1/transfers", key: "carol", body: #"{"where":"true","to":"dora"}"#)
        #expect(done.status == 200, "\(done.body)")
        #expect(done.object["transferred"] as? [String] == ["P000001", "P000002"])
        let moves = done.object["account_executives"] as? [[String: Any]] ?? []
        #expect(moves.first { $0["user"] as? String == "dora" }?["gains"] as? Int == 2, "\(moves)")
        #expect(
            try await s.request(.GET, "/v1/customers/P000002", key: "dora").object["account_executive"] as? String
                == "dora")
    }

    @Test("edits: several customers in one batch, or a where selection; a refusal or bad value changes nothing")
    func edits() async throws {
        let s = try await ServedStore.start(customers: 2)
        defer { s.stop() }
        let before = try s.storeBytes()
        for (key, body, status) in [
            ("erin", #"{"customers":["P000001","P000002"],"fields":{"level":"A"}}"#, 404),
            ("bob", #"{"customers":["P000001","P000002"],"fields":{"level":"Q"}}"#, 400),
            ("bob", #"{"customers":["P000001"],"where":"true","fields":{"level":"A"}}"#, 400),
            ("bob", #"{"customers":["P000001"],"fields":{}}"#, 400),
            ("bob", #"{"where":"customer.level ==","fields":{"level":"A"}}"#, 400),
        ] {
            let run = try await s.request(.POST, "/v1/edits", key: key, body: body)
            #expect(run.status == status, "\(body): \(run.body)")
        }
        #expect(try s.storeBytes() == before)
        let named = try await s.request(
            .POST, "/v1/edits", key: "bob", body: #"{"customers":["P000001","P000002"],"fields":{"level":"A"}}"#)
        #expect(named.status == 200, "\(named.body)")
        #expect((named.object["edited"] as? [[String: Any]])?.map { $0["id"] as? String } == ["P000001", "P000002"])
        let selected = try await s.request(
            .POST, "/v1/edits", key: "bob", body: #"{"where":"customer.level == \"A\"","fields":{"level":"C"}}"#)
        #expect(selected.status == 200, "\(selected.body)")
        #expect((selected.object["edited"] as? [Any])?.count == 2)
        #expect(
            try await s.request(.GET, "/v1/customers/P000002", key: "bob").object["fields"].flatMap {
                ($0 as? [String: Any])?["level"] as? String
            } == "C")
    }

    @Test("saved lists: GET /v1/customers?list= opens a list shown to the caller, in its order, page by page")
    func savedLists() async throws {
        let s = try await ServedStore.start(customers: 3)
        defer { s.stop() }
        let first = try await s.request(.GET, "/v1/customers?list=my-customers&limit=2", key: "bob")
        #expect(first.status == 200, "\(first.body)")
        let page = (first.object["customers"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
        #expect(page.count == 2)
        // The list's columns are name, level and created_at: the e-mail is left out.
        let fields = (first.object["customers"] as? [[String: Any]])?.first?["fields"] as? [String: Any]
        #expect(fields?.keys.sorted() == ["name"], "\(first.body)")
        let next = first.object["next"] as? String
        #expect(next == page.last)
        let second = try await s.request(
            .GET, "/v1/customers?list=my-customers&limit=2&after=\(next ?? "")", key: "bob")
        let rest = (second.object["customers"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
        #expect(Set(page + rest) == ["P000001", "P000002", "P000003"])
        #expect(
            (try await s.request(.GET, "/v1/customers?list=my-customers", key: "erin").object["count"] as? Int) == 0)
        let hidden = try await s.request(.GET, "/v1/customers?list=east-organizations", key: "erin")
        let missing = try await s.request(.GET, "/v1/customers?list=east-organisations", key: "erin")
        #expect(hidden.status == 400)
        #expect(
            hidden.detail == missing.detail.replacingOccurrences(of: "east-organisations", with: "east-organizations"))
        let shown = try await s.request(.GET, "/v1/lists", key: "erin")
        #expect(shown.status == 200, "\(shown.body)")
        #expect(
            (shown.object["lists"] as? [[String: Any]])?.compactMap { $0["id"] as? String } == [
                "hot-leads", "my-customers",
            ])
    }

    @Test("the bin over HTTP: a deleted customer is listed for whom may restore it, restored exactly, and purged")
    func bin() async throws {
        let s = try await ServedStore.start(customers: 1)
        defer { s.stop() }
        let original = try await s.request(.GET, "/v1/customers/P000001", key: "carol").body
        #expect(try await s.request(.DELETE, "/v1/customers/P000001", key: "carol").status == 204)
        let listed = try await s.request(.GET, "/v1/bin", key: "carol")
        #expect(
            (listed.object["customers"] as? [[String: Any]])?.first?["id"] as? String == "P000001", "\(listed.body)")
        #expect((try await s.request(.GET, "/v1/bin", key: "bob").object["customers"] as? [Any])?.isEmpty == true)
        #expect(try await s.request(.POST, "/v1/customers/P000001/restore", key: "bob").status == 403)
        let hidden = try await s.request(.POST, "/v1/customers/P000001/restore", key: "erin")
        let missing = try await s.request(.POST, "/v1/customers/P000099/restore", key: "erin")
        #expect(hidden.status == 404)
        #expect(hidden.detail == missing.detail.replacingOccurrences(of: "P000099", with: "P000001"))
        let restored = try await s.request(.POST, "/v1/customers/P000001/restore", key: "carol")
        #expect(restored.status == 200, "\(restored.body)")
        #expect(try await s.request(.GET, "/v1/customers/P000001", key: "carol").body == original)
        #expect(try await s.request(.DELETE, "/v1/customers/P000001", key: "carol").status == 204)
        #expect(try await s.request(.POST, "/v1/bin/purge", key: "bob", body: "{}").status == 403)
        let dry = try await s.request(.POST, "/v1/bin/purge", key: "carol", body: #"{"dry_run":true}"#)
        #expect(dry.object["purged"] as? [String] == ["P000001"], "\(dry.body)")
        #expect(
            try await s.request(.POST, "/v1/bin/purge", key: "carol", body: #"{"older_than_days":-1}"#).status == 400)
        #expect(
            try await s.request(.POST, "/v1/bin/purge", key: "carol", body: "{}").object["purged"] as? [String] == [
                "P000001"
            ])
        #expect(try await s.request(.POST, "/v1/customers/P000001/restore", key: "carol").status == 404)
    }

    @Test("duplicates over HTTP: a new customer alike a stored one is named in Clientele-Duplicates; groups; a merge")
    func duplicatesAndMerge() async throws {
        let s = try await ServedStore.start(customers: 0)
        defer { s.stop() }
        let body = #"{"table":"individual","fields":{"name":"Li","phone1":"555-123-4567"}}"#
        let first = try await s.request(.POST, "/v1/customers", key: "bob", body: body)
        #expect(first.status == 201 && first.headers.first(name: "Clientele-Duplicates") == nil, "\(first.body)")
        let second = try await s.request(.POST, "/v1/customers", key: "bob", body: body)
        #expect(second.status == 201, "\(second.body)")
        #expect(second.headers.first(name: "Clientele-Duplicates") == "P000001")
        // erin may not see bob's customers: nothing is named to her.
        let erin = try await s.request(.POST, "/v1/customers", key: "erin", body: body)
        #expect(erin.status == 201 && erin.headers.first(name: "Clientele-Duplicates") == nil)
        let groups = try await s.request(.GET, "/v1/duplicates?rule=same-phone", key: "bob")
        #expect(groups.status == 200, "\(groups.body)")
        let customers = (groups.object["groups"] as? [[String: Any]])?.map { $0["customers"] as? [String] ?? [] }
        #expect(customers == [["P000001", "P000002"]], "\(groups.body)")
        let merged = try await s.request(
            .POST, "/v1/merges", key: "carol", body: #"{"keep":"P000001","others":["P000002"]}"#)
        #expect(merged.status == 200, "\(merged.body)")
        #expect(try await s.request(.GET, "/v1/customers/P000002", key: "carol").status == 404)
    }

    @Test("a validation rule refuses a write over HTTP as on the command line: 400 naming the field, nothing stored")
    func validationRule() async throws {
        let s = try await ServedStore.start(customers: 1)
        defer { s.stop() }
        let before = try s.storeBytes()
        let refused = try await s.request(
            .POST, "/v1/customers", key: "carol",
            body: #"{"table":"organization","fields":{"name":"Acme","level":"VIP"}}"#)
        #expect(refused.status == 400, "\(refused.body)")
        #expect(refused.detail.contains("column seats: A VIP organization needs its seat count"), "\(refused.body)")
        #expect(try s.storeBytes() == before)
    }

    @Test("writes of the command line and a new applied version are served within 1 s, without a restart")
    func pickUp() async throws {
        let s = try await ServedStore.start(customers: 1)
        defer { s.stop() }
        let version = try await s.request(.GET, "/v1/config", key: "bob")
        #expect(version.object["version"] as? Int == 1)
        #expect(
            try await s.cli(["customer", "add", "--as", "bob", "--table", "individual", "name=From the CLI"]).exitCode
                == 0)
        let seen = try await s.within(1) {
            try await s.request(.GET, "/v1/visible", key: "bob").object["count"] as? Int == 2
        }
        #expect(seen != nil, "a customer the command line added is served within 1 s")

        // A new version: a user added to the config and applied.
        let org = s.dir.appendingPathComponent("org.yaml")
        let text = try String(contentsOf: org, encoding: .utf8)
        try
            (text
            + "  - id: gina\n    name: Gina New\n    teams: [sales]\n    department: east\n    roles: [sales-rep]\n")
            .write(to: org, atomically: true, encoding: .utf8)
        let applied = try await s.cli(["apply", "--as", "carol", "--yes"])
        #expect(applied.exitCode == 0, "\(applied.stderr)")
        let switched = try await s.within(1) {
            try await s.request(.GET, "/v1/config", key: "bob").object["version"] as? Int == 2
        }
        #expect(switched != nil, "the new version is served within 1 s")
        #expect(try await s.request(.GET, "/v1/visible", key: "app", user: "gina").status == 200)
    }
}

@Suite("Service: the routes and openapi.yaml")
struct ServiceContractTests {
    /// "METHOD /path" of every operation openapi.yaml describes, path parameters as `:id`.
    static func documented() throws -> Set<String> {
        let text = try String(contentsOf: CLI.repository.appendingPathComponent("openapi.yaml"), encoding: .utf8)
        var operations = Set<String>()
        var path: String?
        var inPaths = false
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line == "paths:" {
                inPaths = true
                continue
            }
            if inPaths, !line.hasPrefix(" "), !line.isEmpty { inPaths = false }
            guard inPaths else { continue }
            if line.hasPrefix("  /"), line.hasSuffix(":") {
                path = String(line.dropFirst(2).dropLast()).replacingOccurrences(of: "{id}", with: ":id")
            } else if let path, line.hasPrefix("    "), !line.hasPrefix("     "), line.hasSuffix(":") {
                let method = line.trimmingCharacters(in: .whitespaces).dropLast().uppercased()
                if ["GET", "POST", "PUT", "PATCH", "DELETE"].contains(method) {
                    operations.insert(method + " " + path)
                }
            }
        }
        return operations
    }

    @Test("every route is in openapi.yaml and every operation there is a route; the binary serves the same file")
    func routesMatchTheDocument() async throws {
        let s = try await ServedStore.start(customers: 0, users: [])
        defer { s.stop() }
        let server = try ClienteleServer(
            directory: ConfigDirectory(url: s.dir), options: ClienteleServer.Options(),
            logger: Logger(label: "test"))
        let routes = Set(server.routes)
        let documented = try Self.documented()
        #expect(documented.count >= 20)
        #expect(routes.subtracting(documented).sorted() == [], "routes openapi.yaml does not describe")
        #expect(documented.subtracting(routes).sorted() == [], "operations of openapi.yaml no route answers")
        let served = try await s.request(.GET, "/openapi.yaml").body
        let file = try String(contentsOf: CLI.repository.appendingPathComponent("openapi.yaml"), encoding: .utf8)
        #expect(served == file, "scripts/embed-openapi makes the served copy")
    }
}

@Suite("Service: durability under kill -9")
struct ServiceDurabilityTests {
    /// Writers in flight: CLIENTELE_SERVICE_STORM_SECONDS (default 1.5) of concurrent adds and edits.
    static let stormSeconds =
        Double(ProcessInfo.processInfo.environment["CLIENTELE_SERVICE_STORM_SECONDS"] ?? "") ?? 1.5

    @Test("kill -9 during a storm of concurrent writes: every write answered 2xx is stored, and the store opens")
    func killDuringWrites() async throws {
        let s = try await ServedStore.start(customers: 4, users: ["bob"])
        defer { s.stop() }
        let acknowledged = Acknowledged()
        let deadline = Date().addingTimeInterval(Self.stormSeconds)
        await withTaskGroup(of: Void.self) { group in
            for writer in 0..<16 {
                group.addTask {
                    var k = 0
                    while true {
                        k += 1
                        let name = "w\(writer)-\(k)"
                        let body =
                            writer % 4 == 0
                            ? #"{"fields":{"description":"\#(name)"}}"#
                            : #"{"table":"individual","fields":{"name":"\#(name)"}}"#
                        let reply: ServedStore.Reply
                        do {
                            reply =
                                writer % 4 == 0
                                ? try await s.request(
                                    .PATCH, "/v1/customers/P00000\(writer / 4 + 1)", key: "bob", body: body,
                                    timeout: 5)
                                : try await s.request(.POST, "/v1/customers", key: "bob", body: body, timeout: 5)
                        } catch {
                            return  // the server is gone
                        }
                        if reply.status == 200 || reply.status == 201,
                            let id = reply.object["id"] as? String
                        {
                            await acknowledged.add(id: id, value: name, edit: writer % 4 == 0)
                        }
                        // The kill comes once the storm has run its time and written enough
                        // (a loaded machine answers the first writes late).
                        if Date() > deadline, await acknowledged.added.count > 20 || Date() > deadline + 60 {
                            kill(s.process.processIdentifier, SIGKILL)
                        }
                    }
                }
            }
        }
        s.process.waitUntilExit()
        let (added, edits) = await (acknowledged.added, acknowledged.lastEdit)
        #expect(
            added.count > 10,
            "the storm wrote something before the kill: \((try? String(contentsOf: s.stderr, encoding: .utf8)) ?? "")")
        let verified = try await s.cli(["store", "verify"])
        #expect(verified.exitCode == 0, "\(verified.stdout)\(verified.stderr)")
        let exported = try await s.cli(["export", "--as", "carol"])
        #expect(exported.exitCode == 0, "\(exported.stderr)")
        var stored: [String: [String: Any]] = [:]
        for line in exported.stdout.split(separator: "\n") {
            guard let doc = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any],
                let id = doc["id"] as? String
            else { continue }
            stored[id] = doc
        }
        for (id, name) in added {
            #expect((stored[id]?["fields"] as? [String: Any])?["name"] as? String == name, "\(id) was acknowledged")
        }
        // An acknowledged edit is there, or a later one of the same writer (answered or not) replaced it.
        for (id, name) in edits {
            let description = (stored[id]?["fields"] as? [String: Any])?["description"] as? String ?? ""
            let number = { (text: String) in Int(text.split(separator: "-").last ?? "") ?? -1 }
            #expect(
                number(description) >= number(name), "\(id): \(name) was acknowledged, the store has \(description)")
        }
        // The store takes writes again.
        #expect(
            try await s.cli(["customer", "add", "--as", "bob", "--table", "individual", "name=After"]).exitCode == 0)
    }

    actor Acknowledged {
        var added: [(String, String)] = []
        var lastEdit: [String: String] = [:]
        func add(id: String, value: String, edit: Bool) {
            if edit { lastEdit[id] = value } else { added.append((id, value)) }
        }
    }
}

@Suite(
    "Service: the bench workload's decisions",
    .enabled(if: BenchWorkload.available, "needs ../shared/bench and python3"))
struct ServiceWorkloadTests {
    @Test("every request of clientele-expected.jsonl through POST /v1/decisions: no disagreement on stored customers")
    func differential() async throws {
        let data = try #require(BenchWorkload.data)
        let dir = try CLI.temporaryDirectory()
        let config = dir.appendingPathComponent("clientele")
        try FileManager.default.copyItem(at: data.appendingPathComponent("clientele"), to: config)
        try """
        rules:
          - id: admin-configures
            allow: [configure, sweep]
            when: '"admin" in user.roles'

        """.write(to: config.appendingPathComponent("configure.yaml"), atomically: true, encoding: .utf8)
        #expect(try CLI.run(["apply", "--config", config.path, "--as", "U0001"]).exitCode == 0)
        let imported = try CLI.run([
            "import", data.appendingPathComponent("clientele-customers.jsonl").path, "--config", config.path, "--as",
            "U0001", "--rejects", dir.appendingPathComponent("rejects.jsonl").path,
        ])
        #expect([0, 1].contains(imported.exitCode), "\(imported.stderr)")
        let key = try CLI.run(["key", "create", "--config", config.path, "--as", "U0001", "--service"])
        let s = try await ServedStore.launch(config)
        defer { s.stop() }
        let stored = Set(
            try CLI.run(["visible", "U0001", "--config", config.path]).stdout.split(separator: "\n").map(String.init))
        #expect(stored.count > 1_500)

        let lines = try String(
            contentsOf: data.appendingPathComponent("clientele-expected.jsonl"), encoding: .utf8
        ).split(separator: "\n")
        let expected = lines.compactMap { (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any] }
        #expect(expected.count == lines.count)
        var compared = 0
        var disagreements: [String] = []
        for chunk in stride(from: 0, to: expected.count, by: 10_000) {
            let part = expected[chunk..<min(expected.count, chunk + 10_000)]
            let requests = part.map { e in
                [
                    "user": e["user"] as? String ?? "", "action": e["action"] as? String ?? "",
                    "customer": e["customer"] as? String ?? "",
                ]
            }
            let body = String(
                decoding: try JSONSerialization.data(withJSONObject: ["requests": requests]), as: UTF8.self)
            let reply = try await s.request(
                .POST, "/v1/decisions", raw: "Bearer " + key.stdout.trimmingCharacters(in: .whitespacesAndNewlines),
                body: body)
            #expect(reply.status == 200)
            let decisions = reply.object["decisions"] as? [[String: Any]] ?? []
            #expect(decisions.count == part.count)
            for (e, d) in zip(part, decisions) where stored.contains(e["customer"] as? String ?? "") {
                compared += 1
                if (d["allowed"] as? Bool) != (e["allowed"] as? Bool) {
                    disagreements.append("\(e): \(d)")
                }
            }
        }
        #expect(compared > 500)
        #expect(disagreements == [], "\(disagreements.prefix(5))")
    }
}

@Suite("Service: plans and apply over HTTP")
struct ServiceConfigTests {
    /// The config directory's files as `POST /v1/plans` takes them.
    static func files(_ dir: URL) throws -> [String: String] {
        var files: [String: String] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: dir.path) where name.hasSuffix(".yaml") {
            files[name] = try String(contentsOf: dir.appendingPathComponent(name), encoding: .utf8)
        }
        return files
    }

    static func body(_ members: [String: Any]) throws -> String {
        String(decoding: try JSONSerialization.data(withJSONObject: members), as: UTF8.self)
    }

    @Test("a pipeline plans on a pull request and applies on merge: the same plan, or nothing when the data moved")
    func planThenApply() async throws {
        let s = try await ServedStore.start(customers: 2, users: ["carol", "bob"])
        defer { s.stop() }
        var files = try Self.files(s.dir)
        files["org.yaml"]! +=
            "  - id: gina\n    name: Gina New\n    teams: [sales]\n    department: east\n    roles: [sales-rep]\n"

        // Only who may configure plans or applies.
        let refused = try await s.request(.POST, "/v1/plans", key: "bob", body: try Self.body(["files": files]))
        #expect(refused.status == 403)
        #expect(refused.detail.contains("configure"))
        let before = try s.storeBytes()
        let plan = try await s.request(.POST, "/v1/plans", key: "carol", body: try Self.body(["files": files]))
        #expect(plan.status == 200, "\(plan.body)")
        let cli = try await s.cli(["plan", "--format", "json"])  // the directory itself is unchanged: no change
        #expect(cli.exitCode == 0)
        let configHash = try #require(plan.object["config_hash"] as? String)
        let dataHash = try #require(plan.object["data_hash"] as? String)
        #expect(try s.storeBytes() == before, "a plan changes nothing")

        // A config that does not compile: 400 with file, line and column.
        var broken = files
        broken["org.yaml"]! += "  - id: hal\n    departmnt: east\n"
        let bad = try await s.request(.POST, "/v1/plans", key: "carol", body: try Self.body(["files": broken]))
        #expect(bad.status == 400)
        #expect(bad.detail.hasPrefix("org.yaml:"), "\(bad.detail)")
        let noMain = try await s.request(
            .POST, "/v1/plans", key: "carol", body: try Self.body(["files": ["org.yaml": files["org.yaml"]!]]))
        #expect(noMain.status == 400)
        let escape = try await s.request(
            .POST, "/v1/plans", key: "carol", body: try Self.body(["files": ["../x.yaml": "", "clientele.yaml": ""]]))
        #expect(escape.status == 400)

        // The data moves (the command line adds a customer): the saved hashes no longer apply.
        #expect(
            try await s.cli(["customer", "add", "--as", "bob", "--table", "individual", "name=Moved"]).exitCode == 0)
        let stale = try await s.request(
            .POST, "/v1/apply", key: "carol",
            body: try Self.body(["files": files, "config_hash": configHash, "data_hash": dataHash]))
        #expect(stale.status == 409, "\(stale.body)")
        #expect(stale.detail.contains("stored data changed"))
        #expect(try await s.request(.GET, "/v1/config", key: "carol").object["version"] as? Int == 1)

        let fresh = try await s.request(.POST, "/v1/plans", key: "carol", body: try Self.body(["files": files]))
        let applied = try await s.request(
            .POST, "/v1/apply", key: "carol",
            body: try Self.body([
                "files": files, "config_hash": fresh.object["config_hash"] as? String ?? "",
                "data_hash": fresh.object["data_hash"] as? String ?? "",
            ]))
        #expect(applied.status == 200, "\(applied.body)")
        #expect(applied.object["version"] as? Int == 2)
        // Served before the answer, and recorded as the command line records it.
        #expect(try await s.request(.GET, "/v1/config", key: "carol").object["version"] as? Int == 2)
        #expect(try await s.request(.GET, "/v1/visible", key: "app", user: "gina").status == 200)
        #expect(try await s.cli(["history"]).stdout.contains("carol"))
    }
}
