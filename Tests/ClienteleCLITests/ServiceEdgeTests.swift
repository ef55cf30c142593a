import ClienteleEngine
import ClienteleTestSupport
import Foundation
import NIOCore
import NIOHTTP1
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The service's edges: what a refusal may not tell, answers after a commit, input
/// that is not what it seems, a store that fails or is rewritten under the service,
/// and stopping while a client stalls.
@Suite("Service: edges, failures and hostile input", .serialized)
struct ServiceEdgeTests {
    /// bob's customer P000002, made VIP: the VIP desk alone may view or edit it.
    static func vipCustomer(_ s: ServedStore) async throws {
        let made = try await s.cli([
            "customer", "add", "--as", "bob", "--table", "individual", "name=Very Important", "email=v@example.com",
            "level=VIP",
        ])
        #expect(made.exitCode == 0, "\(made.stderr)")
    }

    @Test(
        "a user asking for itself learns nothing of a customer it may not view: the answer of one that does not exist")
    func decisionsTellNothingHidden() async throws {
        let s = try await ServedStore.start(customers: 1)
        defer { s.stop() }
        try await Self.vipCustomer(s)
        try await Task.sleep(for: .milliseconds(400))
        let unknown = #"{"allowed":false,"rule":null}"#
        for user in ["erin", "bob"] {
            for action in ["view", "edit", "export", "delete", "create", "share", "tag", "follow", "return_to_pool"] {
                let body = #"{"requests":[{"user":"\#(user)","action":"\#(action)","customer":"P000002"}]}"#
                let r = try await s.request(.POST, "/v1/decisions", key: user, body: body)
                #expect(r.body == #"{"decisions":[\#(unknown)]}"#, "\(user) \(action): \(r.body)")
            }
        }
        // A service key asks for anyone and hears the rule.
        let asked = #"{"requests":[{"user":"bob","action":"view","customer":"P000002"}]}"#
        let app = try await s.request(.POST, "/v1/decisions", key: "app", body: asked)
        #expect(app.body.contains(#""rule":"vip""#), "\(app.body)")
        // A customer bob may view, and an action refused him, still names the rule's explanation.
        let own = #"{"requests":[{"user":"bob","action":"delete","customer":"P000001"}]}"#
        let refused = try await s.request(.POST, "/v1/decisions", key: "bob", body: own)
        #expect(refused.body.contains(#""allowed":false"#))
        // visible lists it for no action.
        for action in ["view", "share", "follow", "tag", "return_to_pool"] {
            let page = try await s.request(.GET, "/v1/visible?action=\(action)", key: "bob")
            #expect(page.object["customers"] as? [String] == ["P000001"], "\(action): \(page.body)")
        }
        // A write on it is the 404 of one that does not exist, and changes nothing.
        let before = try s.storeBytes()
        for (method, path, body) in [
            (HTTPMethod.PUT, "/v1/customers/{}/follow", nil as String?),
            (.POST, "/v1/customers/{}/shares", #"{"users":["erin"]}"#),
            (.POST, "/v1/customers/{}/unshare", #"{"all":true}"#),
            (.POST, "/v1/customers/{}/tags", #"{"tags":["x"]}"#),
            (.POST, "/v1/customers/{}/followups", #"{"note":"x"}"#),
            (.DELETE, "/v1/customers/{}", nil),
            (.POST, "/v1/pool/return", #"{"customers":["{}"],"reason":"other"}"#),
        ] {
            let hidden = try await s.request(
                method, path.replacingOccurrences(of: "{}", with: "P000002"), key: "bob",
                body: body?.replacingOccurrences(of: "{}", with: "P000002"))
            let missing = try await s.request(
                method, path.replacingOccurrences(of: "{}", with: "P000099"), key: "bob",
                body: body?.replacingOccurrences(of: "{}", with: "P000099"))
            #expect(hidden.status == 404, "\(method) \(path): \(hidden.body)")
            #expect(
                hidden.body == missing.body.replacingOccurrences(of: "P000099", with: "P000002"),
                "\(method) \(path): \(hidden.body) / \(missing.body)")
        }
        #expect(try s.storeBytes() == before)
        // who-can about a hidden customer is the 404 of one that does not exist.
        let hidden = try await s.request(.GET, "/v1/customers/P000002/who-can", key: "erin")
        let missing = try await s.request(.GET, "/v1/customers/P000099/who-can", key: "erin")
        #expect(hidden.status == 404)
        #expect(hidden.detail == missing.detail.replacingOccurrences(of: "P000099", with: "P000002"))
    }

    @Test(
        "in a list or beside a bad body, a customer the caller may not view is refused where one that does not exist is, in the same words"
    )
    func hiddenIsMissingInEveryOrder() async throws {
        let s = try await ServedStore.start(customers: 1)
        defer { s.stop() }
        try await Self.vipCustomer(s)
        try await Task.sleep(for: .milliseconds(400))
        let before = try s.storeBytes()
        let manyTags = (0...RecordValidator.maxTags).map { "\"t\($0)\"" }.joined(separator: ",")
        for (method, path, body) in [
            (HTTPMethod.POST, "/v1/pool/claim", #"{"customers":["P000001","{}"]}"#),
            (.POST, "/v1/pool/claim", #"{"customers":["{}","P000001"]}"#),
            (.POST, "/v1/pool/claim", #"{"customers":["P000098","{}"]}"#),
            (.POST, "/v1/pool/claim", #"{"customers":["{}","P000098"]}"#),
            (.POST, "/v1/pool/return", #"{"customers":["P000001","{}"],"reason":"other"}"#),
            (.POST, "/v1/pool/return", #"{"customers":["{}","P000001"],"reason":"no such reason"}"#),
            (.POST, "/v1/pool/assign", #"{"customers":["{}"],"to":"nobody"}"#),
            (.POST, "/v1/pool/assign", #"{"customers":["P000001","{}"],"to":"erin"}"#),
            (.POST, "/v1/transfers", #"{"customers":["{}","P000001"],"to":"dora"}"#),
            (.POST, "/v1/transfers", #"{"customers":["P000098","{}"],"to":"nobody"}"#),
            (.POST, "/v1/customers/{}/followups", #"{"note":"x","deal":"maybe"}"#),
            (.POST, "/v1/customers/{}/shares", #"{}"#),
            (.POST, "/v1/customers/{}/shares", #"{"users":["nobody"]}"#),
            (.POST, "/v1/customers/{}/tags", #"{"tags":[\#(manyTags)]}"#),
            (.PATCH, "/v1/customers/{}", #"{"fields":{"level":"no such level"}}"#),
            (.PATCH, "/v1/customers/{}?view=no-such-view", #"{"fields":{"level":"C"}}"#),
        ] {
            func probe(_ id: String) async throws -> (Int, String) {
                let r = try await s.request(
                    method, path.replacingOccurrences(of: "{}", with: id), key: "bob",
                    body: body.replacingOccurrences(of: "{}", with: id))
                return (r.status, r.body.replacingOccurrences(of: id, with: "ID"))
            }
            let (hidden, missing) = (try await probe("P000002"), try await probe("P000099"))
            #expect(hidden.0 == missing.0, "\(method) \(path) \(body): \(hidden.1) / \(missing.1)")
            #expect(hidden.1 == missing.1, "\(method) \(path) \(body)")
        }
        #expect(try s.storeBytes() == before)
    }

    @Test(
        "a rule that lets a user act on a customer they may not view: the command line acts, the service answers 404 as for one that does not exist"
    )
    func actionWithoutViewIsMissingToTheService() async throws {
        let s = try await ServedStore.start(customers: 1, users: ["erin"]) { dir in
            let access = dir.appendingPathComponent("access.yaml")
            let text = try String(contentsOf: access, encoding: .utf8)
            try text.replacingOccurrences(
                of: "\nrules:\n", with: "\nrules:\n  - id: anyone-tags\n    allow: [tag]\n    when: 'true'\n"
            ).write(to: access, atomically: true, encoding: .utf8)
        }
        defer { s.stop() }
        let before = try s.storeBytes()
        let hidden = try await s.request(.POST, "/v1/customers/P000001/tags", key: "erin", body: #"{"tags":["x"]}"#)
        let missing = try await s.request(.POST, "/v1/customers/P000099/tags", key: "erin", body: #"{"tags":["x"]}"#)
        #expect(hidden.status == 404, "\(hidden.body)")
        #expect(hidden.body == missing.body.replacingOccurrences(of: "P000099", with: "P000001"))
        #expect(try s.storeBytes() == before)
        let cli = try await s.cli(["tag", "add", "P000001", "x", "--as", "erin"])
        #expect(cli.exitCode == 0 && cli.stdout == "tagged P000001 x\n", "\(cli.stderr)")
    }

    @Test(
        "a deleted customer's history is for admins, read as the customer last stood: one it was hidden from reads none of it"
    )
    func deletedHistoryStaysHidden() async throws {
        let s = try await ServedStore.start(customers: 1, users: ["carol"])
        defer { s.stop() }
        try await Self.vipCustomer(s)
        let deleted = try await s.cli(["customer", "delete", "P000002", "--as", "carol"])
        #expect(deleted.exitCode == 0, "\(deleted.stderr)")
        try await Task.sleep(for: .milliseconds(600))
        let log = try await s.request(.GET, "/v1/log", key: "carol")
        #expect(log.status == 200 && log.body.contains("P000001"), "\(log.body)")
        #expect(!log.body.contains("P000002") && !log.body.contains("Very Important"), "\(log.body)")
        #expect(try await s.cli(["log", "P000002", "--as", "carol"]).stdout == "")
        // A deleted customer the admin could view: its history, and the document as it was deleted.
        #expect(try await s.cli(["customer", "delete", "P000001", "--as", "carol"]).exitCode == 0)
        let seen = try await s.cli(["log", "P000001", "--as", "carol", "--format", "json"])
        #expect(seen.stdout.contains(#""type":"delete""#) && seen.stdout.contains("Customer 1"), "\(seen.stdout)")
        #expect(
            try await s.cli(["log", "P000001", "--as", "bob"]).stdout == "",
            "a deleted customer's history is for admins")
    }

    @Test("a write is answered as committed even when the caller may not view the result")
    func committedWritesAreAnswered() async throws {
        let s = try await ServedStore.start(customers: 1)
        defer { s.stop() }
        // bob may add a VIP customer but not view it: 201 with its id and Location.
        let added = try await s.request(
            .POST, "/v1/customers", key: "bob",
            body: #"{"table":"individual","fields":{"name":"Hidden","email":"h@example.com","level":"VIP"}}"#)
        #expect(added.status == 201, "\(added.body)")
        #expect(added.body == #"{"id":"P000002"}"#)
        #expect(added.headers.first(name: "location") == "/v1/customers/P000002")
        #expect(added.headers.first(name: "etag") == nil)
        #expect(try await s.cli(["customer", "show", "P000002", "--as", "vera"]).exitCode == 0)
        // An edit that takes P000001 out of bob's sight: 200 with its id, and stored.
        let edited = try await s.request(
            .PATCH, "/v1/customers/P000001", key: "bob", body: #"{"fields":{"level":"VIP"}}"#)
        #expect(edited.status == 200, "\(edited.body)")
        #expect(edited.body == #"{"id":"P000001"}"#)
        let shown = try await s.cli(["customer", "show", "P000001", "--as", "vera", "--format", "json"])
        #expect(shown.stdout.contains(#""level":"VIP""#), "\(shown.stdout)")
        #expect(try await s.request(.GET, "/v1/customers/P000001", key: "bob").status == 404)
    }

    @Test("near and radius list the customers within the distance, nearest first, paged by a cursor in that order")
    func nearAPoint() async throws {
        let s = try await ServedStore.start(customers: 0)
        defer { s.stop() }
        for (k, (lat, lng)) in [("30.2741", "120.1551"), ("30.2500", "120.1400"), ("30.2700", "120.1600")].enumerated()
        {
            let added = try await s.request(
                .POST, "/v1/customers", key: "bob",
                body:
                    #"{"table":"individual","fields":{"name":"C\#(k)","level":"A","billingLat":\#(lat),"billingLng":\#(lng)}}"#
            )
            #expect(added.status == 201, "\(added.body)")
        }
        let near = try await s.request(.GET, "/v1/customers?near=30.2741,120.1551&radius=5&limit=2", key: "bob")
        #expect(near.status == 200, "\(near.body)")
        let ids = (near.object["customers"] as? [[String: Any]])?.compactMap { $0["id"] as? String }
        #expect(ids == ["P000001", "P000003"] && near.object["next"] as? String == "P000003", "\(near.body)")
        let rest = try await s.request(
            .GET, "/v1/customers?near=30.2741,120.1551&radius=5&limit=2&after=P000003", key: "bob")
        #expect((rest.object["customers"] as? [[String: Any]])?.compactMap { $0["id"] as? String } == ["P000002"])
        let small = try await s.request(.GET, "/v1/customers?near=30.2741,120.1551&radius=1", key: "bob")
        #expect(small.object["count"] as? Int == 2, "\(small.body)")
        for (query, why) in [
            ("near=95,120", "the latitude 95 is outside -90 to 90"), ("near=30,120&radius=abc", "radius is in km"),
            ("radius=5", "radius goes with near"), ("near=30,120&radius=0", "above 0 and at most 2000"),
        ] {
            let bad = try await s.request(.GET, "/v1/customers?\(query)", key: "bob")
            #expect(bad.status == 400 && bad.detail.contains(why), "\(query): \(bad.status) \(bad.body)")
        }
    }

    @Test("If-Match takes a list and repeated headers; ids in the path are percent-decoded; bad encodings are 400")
    func headersPathsAndEncodings() async throws {
        let s = try await ServedStore.start(customers: 1)
        defer { s.stop() }
        let shown = try await s.request(.GET, "/v1/customers/%50000001", key: "bob")
        #expect(shown.status == 200, "\(shown.body)")
        let etag = shown.headers.first(name: "etag") ?? ""
        let listed = try await s.request(
            .PATCH, "/v1/customers/P000001", key: "bob", body: #"{"fields":{"level":"B"}}"#,
            headers: [("If-Match", "\"0000\", \(etag)")])
        #expect(listed.status == 200, "\(listed.body)")
        let etag2 = listed.headers.first(name: "etag") ?? ""
        let weak = try await s.request(
            .PATCH, "/v1/customers/P000001", key: "bob", body: #"{"fields":{"level":"C"}}"#,
            headers: [("If-Match", "W/" + etag2)])
        #expect(weak.status == 412, "a weak tag never matches: \(weak.body)")
        let repeated = try await s.request(
            .PATCH, "/v1/customers/P000001", key: "bob", body: #"{"fields":{"level":"C"}}"#,
            headers: [("If-Match", "\"0000\""), ("If-Match", etag2)])
        #expect(repeated.status == 200, "\(repeated.body)")
        let many = (0...1_000).map { "\"f\($0)\":1" }.joined(separator: ",")
        let tooMany = try await s.request(
            .POST, "/v1/customers", key: "bob", body: #"{"table":"individual","fields":{\#(many)}}"#)
        #expect(tooMany.status == 400 && tooMany.detail.contains("at most 1000 fields"), "\(tooMany.body.prefix(300))")
        // A delete is conditional too: a stale tag deletes nothing, the current one deletes.
        let unchanged = try s.storeBytes()
        let staleDelete = try await s.request(
            .DELETE, "/v1/customers/P000001", key: "carol", headers: [("If-Match", etag2)])
        #expect(staleDelete.status == 412, "\(staleDelete.body)")
        #expect(try s.storeBytes() == unchanged)
        // '+' in a query is a space, as forms send it.
        let searched = try await s.request(.GET, "/v1/customers?search=Customer+1", key: "bob")
        #expect(searched.object["count"] as? Int == 1, "\(searched.body)")

        let before = try s.storeBytes()
        // A path that does not decode is no route's.
        let undecodable = try await s.request(.GET, "/v1/customers/%FF", key: "bob")
        #expect(undecodable.status == 404)
        #expect(undecodable.contentType == "application/problem+json")
        for (method, path, body, why) in [
            (HTTPMethod.GET, "/v1/customers?search=%FF", nil as String?, "a query value that is not UTF-8"),
            (.GET, "/v1/customers?search=%E2%82", nil, "a cut UTF-8 sequence"),
            (.PATCH, "/v1/customers/P000001", #"{"fields":{"name":"\ud800"}}"#, "a lone high surrogate"),
            (.PATCH, "/v1/customers/P000001", #"{"fields":{"name":"a\udc00b"}}"#, "a lone low surrogate"),
            (
                .POST, "/v1/decisions", #"{"requests":[{"user":"bob\ud800","action":"view","customer":"P1"}]}"#,
                "a surrogate in a decision"
            ),
            (
                .POST, "/v1/customers/P000001/tags",
                #"{"tags":["# + Array(repeating: #""t""#, count: 1_001).joined(separator: ",") + "]}",
                "1,001 tags"
            ),
        ] {
            let r = try await s.request(method, path, key: "bob", body: body)
            #expect(r.status == 400, "\(why): \(r.status) \(r.body)")
            #expect(r.contentType == "application/problem+json", "\(why)")
        }
        // Bytes that are not UTF-8.
        var bad = Array(#"{"fields":{"name":"a"#.utf8)
        bad += [0xFF] + Array(#""}}"#.utf8)
        let notUTF8 = try await s.request(.PATCH, "/v1/customers/P000001", key: "bob", bytes: bad)
        #expect(notUTF8.status == 400, "\(notUTF8.body)")
        #expect(try s.storeBytes() == before)
        // A pair is one character.
        let paired = try await s.request(
            .PATCH, "/v1/customers/P000001", key: "bob", body: #"{"fields":{"name":"Emoji \ud83d\ude00"}}"#)
        #expect(paired.status == 200)
        #expect(paired.body.contains("Emoji \u{1F600}"))
        let current = try await s.request(.GET, "/v1/customers/P000001", key: "carol")
        let deleted = try await s.request(
            .DELETE, "/v1/customers/P000001", key: "carol",
            headers: [("If-Match", current.headers.first(name: "etag") ?? "")])
        #expect(deleted.status == 204, "\(deleted.body)")
    }

    @Test("a path with another method is 405 with Allow; a path no route has is a 404 problem document")
    func methodsAndUnknownRoutes() async throws {
        let s = try await ServedStore.start(customers: 1)
        defer { s.stop() }
        let wrong = try await s.request(.PUT, "/v1/customers/P000001", key: "bob", body: "{}")
        #expect(wrong.status == 405)
        #expect(wrong.headers.first(name: "allow") == "GET, PATCH, DELETE")
        #expect(wrong.contentType == "application/problem+json")
        let decisions = try await s.request(.GET, "/v1/decisions", key: "bob")
        #expect(decisions.status == 405)
        #expect(decisions.headers.first(name: "allow") == "POST")
        for path in ["/v2/customers", "/v1/customers/P000001/nothing", "/"] {
            let r = try await s.request(.GET, path, key: "bob")
            #expect(r.status == 404, "\(path)")
            #expect(r.contentType == "application/problem+json", "\(path)")
        }
    }

    @Test("a damaged keys.json takes no key at all (not the old ones) and /readyz says why; a good one is taken again")
    func damagedKeysFailClosed() async throws {
        let s = try await ServedStore.start(customers: 1, users: ["bob"])
        defer { s.stop() }
        let keys = s.dir.appendingPathComponent(".clientele/store/keys.json")
        let good = try Data(contentsOf: keys)
        var revokedBack = try JSONSerialization.jsonObject(with: good) as? [String: Any] ?? [:]
        var listed = revokedBack["keys"] as? [[String: Any]] ?? []
        func rewritten(_ revokedAt: Any) throws -> String {
            for k in listed.indices { listed[k]["revoked_at"] = revokedAt }
            revokedBack["keys"] = listed
            return String(decoding: try JSONSerialization.data(withJSONObject: revokedBack), as: UTF8.self)
        }
        let twice = String(decoding: good, as: UTF8.self).replacing(
            #/"revoked_at": ?null/#, with: #""revoked_at":null,"revoked_at":"2026-12-05T11:50:26Z""#)
        #expect(twice != String(decoding: good, as: UTF8.self))
        let noOffset = String(decoding: good, as: UTF8.self).replacing(
            #/"created_at": ?"([0-9T:-]+)Z"/#, with: { #""created_at":"\#($0.1)""# })
        #expect(noOffset != String(decoding: good, as: UTF8.self))
        for damage in [
            "{not json", "", try rewritten(5), try rewritten("yesterday"), try rewritten("2026-12-05"), twice,
            noOffset,
        ] {
            try Data(damage.utf8).write(to: keys)
            let closed = try await s.within(2) {
                try await s.request(.GET, "/v1/visible", key: "bob").status == 401
            }
            #expect(closed != nil, "'\(damage)': the old key is refused")
            #expect(try await s.request(.GET, "/readyz").status == 503)
            try good.write(to: keys)
            let open = try await s.within(2) {
                try await s.request(.GET, "/v1/visible", key: "bob").status == 200
            }
            #expect(open != nil)
            #expect(try await s.request(.GET, "/readyz").status == 200)
        }
    }

    @Test("a store moved away: 503 without a path of the disk, not ready; moved back: served again, nothing lost")
    func storeGoneAndBack() async throws {
        let s = try await ServedStore.start(customers: 2, users: ["bob"])
        defer { s.stop() }
        let store = s.dir.appendingPathComponent(".clientele/store")
        let aside = s.dir.appendingPathComponent("store-aside")
        try FileManager.default.moveItem(at: store, to: aside)
        let write = try await s.request(
            .PATCH, "/v1/customers/P000001", key: "bob", body: #"{"fields":{"level":"C"}}"#)
        #expect([500, 503].contains(write.status), "\(write.status) \(write.body)")
        #expect(!write.body.contains(s.dir.path), "no path of the disk: \(write.body)")
        #expect(!write.body.contains("/.clientele"), "\(write.body)")
        let notReady = try await s.within(2) { try await s.request(.GET, "/readyz").status == 503 }
        #expect(notReady != nil)
        try FileManager.default.moveItem(at: aside, to: store)
        let ready = try await s.within(5) { try await s.request(.GET, "/readyz").status == 200 }
        #expect(ready != nil, "ready again once the store is back")
        let again = try await s.request(
            .PATCH, "/v1/customers/P000001", key: "bob", body: #"{"fields":{"level":"C"}}"#)
        #expect(again.status == 200, "\(again.body)")
        #expect(try await s.request(.GET, "/v1/visible", key: "bob").object["count"] as? Int == 2)
        let shown = try await s.cli(["customer", "show", "P000001", "--as", "bob", "--format", "json"])
        #expect(shown.stdout.contains(#""level":"C""#))
    }

    @Test("a repair that rewrites the log under the service: the service opens it again and serves what it holds")
    func repairUnderTheService() async throws {
        let s = try await ServedStore.start(customers: 3, users: ["bob"])
        defer { s.stop() }
        #expect(try await s.request(.GET, "/v1/visible", key: "bob").object["count"] as? Int == 3)
        // Damage the line of P000002's creation: repair cuts that batch and rewrites the segment.
        let data = s.dir.appendingPathComponent(".clientele/store/data")
        let url = data.appendingPathComponent("000001.jsonl")
        var text = try String(contentsOf: url, encoding: .utf8)
        let range = try #require(text.range(of: "Customer 2"))
        text.replaceSubrange(range, with: "Customer X")
        try text.write(to: url, atomically: false, encoding: .utf8)
        let repaired = try await s.cli(["store", "repair"])
        #expect(repaired.exitCode == 0, "\(repaired.stdout)\(repaired.stderr)")
        #expect(try await s.cli(["store", "verify"]).exitCode == 0)
        // The batch that made P000002 is gone; the others are served as the log holds them.
        let served = try await s.within(3) {
            try await s.request(.GET, "/v1/customers?limit=10", key: "bob").object["count"] as? Int == 2
        }
        #expect(served != nil, "the service serves what the repaired log holds")
        #expect(try await s.request(.GET, "/v1/customers/P000002", key: "bob").status == 404)
        #expect(try await s.request(.GET, "/v1/visible", key: "bob").object["count"] as? Int == 2)
        let write = try await s.request(
            .PATCH, "/v1/customers/P000001", key: "bob", body: #"{"fields":{"level":"C"}}"#)
        #expect(write.status == 200, "\(write.body)")
        #expect(try await s.cli(["store", "verify"]).exitCode == 0)
    }

    @Test(
        "SIGTERM while a write waits for another process's lock: the write is answered 503, the exit comes within 5 s")
    func stopWhileWaitingForTheLock() async throws {
        let s = try await ServedStore.start(customers: 1, users: ["bob"])
        let holder = Process()
        holder.executableURL = URL(fileURLWithPath: "/usr/bin/flock")
        holder.arguments = [s.dir.appendingPathComponent(".clientele/store").path, "sleep", "20"]
        try holder.run()
        defer { holder.terminate() }
        try await Task.sleep(for: .milliseconds(200))
        async let write = s.request(
            .POST, "/v1/customers", key: "bob", body: #"{"table":"individual","fields":{"name":"Late"}}"#)
        try await Task.sleep(for: .milliseconds(700))
        let stopped = s.stop()
        #expect(stopped.code == 0)
        #expect(stopped.seconds < 5, "\(stopped.seconds) s")
        let answer = try await write
        #expect(answer.status == 503, "\(answer.body)")
        #expect(answer.body.contains("the service is stopping"), "\(answer.body)")
    }

    @Test("SIGTERM while a client has sent half a body: the service still exits 0 within 5 s")
    func stopWithAStalledClient() async throws {
        let s = try await ServedStore.start(customers: 1, users: ["bob"])
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(s.port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        #expect(connected == 0)
        let head =
            "POST /v1/decisions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(s.keys["bob"] ?? "")\r\n"
            + "Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"requests\":["
        _ = head.withCString { send(fd, $0, strlen($0), 0) }
        try await Task.sleep(for: .milliseconds(300))
        let stopped = s.stop()
        #expect(stopped.code == 0)
        #expect(stopped.seconds < 5, "\(stopped.seconds) s")
    }
}
