import ClienteleCore
import ClienteleEngine
import ClienteleKit
import ClienteleModel
import ClienteleSpec
import ClienteleStore
import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import Synchronization

/// The routes of the service (openapi.yaml is their contract). Each handler reads
/// the snapshot for decisions and lists, and goes through the store's queue for
/// documents and writes; every answer is JSON, every refusal a problem document.
struct ServiceRoutes: Sendable {
    let state: ServiceState
    let options: ClienteleServer.Options
    /// "METHOD /path" of every route registered, in the order registered.
    let registered = Registered()

    final class Registered: Sendable {
        let routes = Mutex<[String]>([])
    }

    typealias Context = BasicRequestContext
    typealias Handler = @Sendable (inout Request, Context, Caller?) async throws -> Reply

    static let userHeader = HTTPField.Name("Clientele-User")!
    static let requestIdHeader = HTTPField.Name("Clientele-Request-Id")!
    static let requestCounter = Atomic<Int>(0)

    /// A new request id (base 36, counting from 1 since the start).
    static func nextRequestId() -> String {
        String(requestCounter.add(1, ordering: .relaxed).newValue, radix: 36)
    }

    /// The most requests one `POST /v1/decisions` may carry.
    static let maxDecisions = 10_000

    func register(on router: Router<Context>) {
        router.add(middleware: Unrouted(registered: registered))
        route(router, .get, "/healthz", auth: false) { _, _, _ in Reply(json: .object([("status", .string("ok"))])) }
        route(router, .get, "/readyz", auth: false) { _, _, _ in
            guard state.isReady else { throw ServiceProblem(503, "the store cannot be read; see the service's log") }
            return Reply(
                json: .object([
                    ("status", .string("ready")), ("config_version", .number(String(state.snapshot.version.number))),
                ]))
        }
        route(router, .get, "/metrics", auth: false) { _, _, _ in
            Reply(200, bytes: state.metrics.text(), contentType: "text/plain; version=0.0.4")
        }
        route(router, .get, "/openapi.yaml", auth: false) { _, _, _ in
            Reply(200, bytes: Array(OpenAPIDocument.text.utf8), contentType: "application/yaml")
        }
        route(router, .get, "/v1/config") { request, _, caller in
            _ = try RequestQuery(request, allowed: [])
            return Reply(json: Self.configJSON(caller!.snapshot.version))
        }
        route(router, .post, "/v1/decisions") { request, _, caller in
            try await decisions(&request, caller!)
        }
        route(router, .get, "/v1/visible") { request, _, caller in try visible(request, caller!) }
        route(router, .get, "/v1/customers/:id/who-can") { request, context, caller in
            try await whoCan(request, try Self.pathId(context), caller!)
        }
        route(router, .get, "/v1/customers") { request, _, caller in try await list(request, caller!) }
        route(router, .post, "/v1/customers") { request, _, caller in try await add(&request, caller!) }
        route(router, .get, "/v1/customers/:id") { request, context, caller in
            let id = try Self.pathId(context)
            let view = try RequestQuery(request, allowed: ["view"])["view"]
            let actor = try caller!.actingUser()
            let shown = try await state.reading { store, snapshot throws(OperationError) in
                let listing = CustomerListing(config: snapshot.config, store: store, now: Timestamp.currentSeconds())
                let document = try listing.operations.show(as: actor, id: id)
                return (document, CustomerListing.arranged(document, try listing.view(named: view)))
            }
            return Self.customerReply(200, shown.1, etag: Self.etag(shown.0))
        }
        route(router, .patch, "/v1/customers/:id") { request, context, caller in
            try await edit(&request, try Self.pathId(context), caller!)
        }
        route(router, .delete, "/v1/customers/:id") { request, context, caller in
            _ = try RequestQuery(request, allowed: [])
            let id = try Self.pathId(context)
            let actor = try caller!.actingUser()
            let time = Timestamp.now()
            let ifMatch = Self.ifMatch(request)
            let stale = try await state.writing { operations, _ throws(OperationError) -> String? in
                if let ifMatch, let current = try Self.stale(ifMatch, operations.show(as: actor, id: id)) {
                    return current
                }
                try operations.delete(as: actor, id: id, time: time)
                return nil
            }
            if let stale { return Self.staleReply(id, stale) }
            return .noContent
        }
        for (method, following) in [(HTTPRequest.Method.put, true), (.delete, false)] {
            route(router, method, "/v1/customers/:id/follow") { request, context, caller in
                _ = try RequestQuery(request, allowed: [])
                let id = try Self.pathId(context)
                let actor = try caller!.actingUser()
                let time = Timestamp.now()
                let changed = try await state.writing { operations, _ throws(OperationError) in
                    try operations.follow(as: actor, ids: [id], following: following, time: time)
                }
                return Reply(json: Self.changedJSON(changed))
            }
        }
        route(router, .post, "/v1/customers/:id/shares") { request, context, caller in
            let id = try Self.pathId(context)
            let input = try await Self.body(&request, options, allowed: ["users", "departments", "roles"])
            let (users, departments, roles) = (
                try input.strings("users"), try input.strings("departments"), try input.strings("roles")
            )
            let actor = try caller!.actingUser()
            let time = Timestamp.now()
            let changed = try await state.writing { operations, _ throws(OperationError) in
                try operations.share(
                    as: actor, ids: [id], users: users, departments: departments, roles: roles, time: time)
            }
            return Reply(json: Self.changedJSON(changed))
        }
        route(router, .post, "/v1/customers/:id/unshare") { request, context, caller in
            let id = try Self.pathId(context)
            let input = try await Self.body(&request, options, allowed: ["users", "departments", "roles", "all"])
            let (users, departments, roles, all) = (
                try input.strings("users"), try input.strings("departments"), try input.strings("roles"),
                try input.bool("all")
            )
            let actor = try caller!.actingUser()
            let time = Timestamp.now()
            let changed = try await state.writing { operations, _ throws(OperationError) in
                try operations.unshare(
                    as: actor, ids: [id], all: all, users: users, departments: departments, roles: roles, time: time)
            }
            return Reply(json: Self.changedJSON(changed))
        }
        route(router, .post, "/v1/customers/:id/tags") { request, context, caller in
            let id = try Self.pathId(context)
            let input = try await Self.body(&request, options, allowed: ["tags", "overwrite"])
            let (tags, overwrite) = (try input.strings("tags"), try input.bool("overwrite"))
            guard !tags.isEmpty || overwrite else { throw ServiceProblem.badRequest("the body needs \"tags\"") }
            let actor = try caller!.actingUser()
            let time = Timestamp.now()
            let changed = try await state.writing { operations, _ throws(OperationError) in
                try operations.tag(as: actor, ids: [id], tags: tags, overwrite: overwrite, time: time)
            }
            return Reply(json: Self.changedJSON(changed))
        }
        route(router, .post, "/v1/customers/:id/followups") { request, context, caller in
            let id = try Self.pathId(context)
            let input = try await Self.body(&request, options, allowed: ["note", "deal"])
            let (note, deal) = (try input.requiredString("note"), try input.string("deal"))
            let actor = try caller!.actingUser()
            let time = Timestamp.now()
            try await state.writing { operations, _ throws(OperationError) in
                try operations.followup(as: actor, id: id, note: note, deal: deal, time: time)
            }
            return Reply(201, json: .object([("customer", .string(id))]))
        }
        route(router, .post, "/v1/customers/:id/restore") { request, context, caller in
            _ = try RequestQuery(request, allowed: [])
            let id = try Self.pathId(context)
            let actor = try caller!.actingUser()
            let time = Timestamp.now()
            let restored = try await state.writing { operations, _ throws(OperationError) in
                try operations.restore(as: actor, ids: [id], time: time)
            }
            return Reply(json: .object([("restored", .array(restored.map(JSONValue.string)))]))
        }
        route(router, .get, "/v1/bin") { request, _, caller in
            _ = try RequestQuery(request, allowed: [])
            let actor = try caller!.actingUser()
            let binned = try await state.reading { store, snapshot throws(OperationError) in
                var operations = CustomerOperations(
                    config: snapshot.config, store: store, now: Timestamp.currentSeconds())
                operations.unviewableIsMissing = true
                return try operations.bin(as: actor).map(\.json)
            }
            return Reply(json: .object([("customers", .array(binned))]))
        }
        route(router, .post, "/v1/bin/purge") { request, _, caller in
            let input = try await Self.body(&request, options, allowed: ["older_than_days", "dry_run"])
            var days: Int?
            if let value = input["older_than_days"], value != .null {
                guard case .number(let text) = value, let n = Int(text), n >= 0 else {
                    throw ServiceProblem.badRequest("\"older_than_days\" must be a whole number of days, 0 or more")
                }
                days = n
            }
            let (dryRun, olderThan) = (try input.bool("dry_run"), days)
            let actor = try caller!.actingUser()
            let time = Timestamp.now()
            let purged = try await state.writing { operations, _ throws(OperationError) in
                try operations.purgeBin(as: actor, olderThanDays: olderThan, dryRun: dryRun, time: time)
            }
            return Reply(
                json: .object([("purged", .array(purged.map(JSONValue.string))), ("dry_run", .bool(dryRun))]))
        }
        route(router, .post, "/v1/pool/return") { request, _, caller in
            let input = try await Self.body(&request, options, allowed: ["customers", "reason"])
            let (ids, reason) = (try input.strings("customers"), try input.string("reason"))
            let actor = try caller!.actingUser()
            let time = Timestamp.now()
            let returned = try await state.writing { operations, _ throws(OperationError) in
                try operations.returnToPool(as: actor, ids: ids, reason: reason, time: time).map {
                    [$0.id, $0.pool]
                }
            }
            return Reply(
                json: .object([
                    (
                        "returned",
                        .array(
                            returned.map { .object([("customer", .string($0[0])), ("pool", .string($0[1]))]) })
                    )
                ]))
        }
        route(router, .post, "/v1/pool/claim") { request, _, caller in
            let input = try await Self.body(&request, options, allowed: ["customers"])
            let ids = try input.strings("customers")
            let actor = try caller!.actingUser()
            let time = Timestamp.now()
            let claimed = try await state.writing { operations, _ throws(OperationError) in
                try operations.claim(as: actor, ids: ids, time: time)
            }
            return Reply(json: .object([("claimed", .array(claimed.map(JSONValue.string)))]))
        }
        route(router, .post, "/v1/pool/assign") { request, _, caller in
            let input = try await Self.body(&request, options, allowed: ["customers", "to"])
            let (ids, owner) = (try input.strings("customers"), try input.requiredString("to"))
            let actor = try caller!.actingUser()
            let time = Timestamp.now()
            let assigned = try await state.writing { operations, _ throws(OperationError) in
                try operations.assign(as: actor, ids: ids, to: owner, time: time)
            }
            return Reply(json: .object([("assigned", .array(assigned.map(JSONValue.string)))]))
        }
        route(router, .post, "/v1/transfers") { request, _, caller in try await transfer(&request, caller!) }
        route(router, .post, "/v1/edits") { request, _, caller in try await editMany(&request, caller!) }
        route(router, .get, "/v1/lists") { request, _, caller in try await savedLists(request, caller!) }
        route(router, .get, "/v1/duplicates") { request, _, caller in try await duplicates(request, caller!) }
        route(router, .post, "/v1/merges") { request, _, caller in try await merge(&request, caller!) }
        route(router, .get, "/v1/log") { request, _, caller in try await log(request, caller!) }
        route(router, .post, "/v1/plans") { request, _, caller in
            try await configChange(&request, caller!, applying: false)
        }
        route(router, .post, "/v1/apply") { request, _, caller in
            try await configChange(&request, caller!, applying: true)
        }
    }

    // MARK: The wrapper every route goes through

    private func route(
        _ router: Router<Context>, _ method: HTTPRequest.Method, _ path: String, auth: Bool = true,
        _ handler: @escaping Handler
    ) {
        let metrics = state.metrics.route(method: method.rawValue, path: path)
        registered.routes.withLock { $0.append(method.rawValue + " " + path) }
        router.on(RouterPath(path), method: method) { request, context -> Response in
            let started = ContinuousClock.now
            let requestId = Self.nextRequestId()
            var request = request
            var reply: Reply
            do {
                let caller = auth ? try authenticate(request) : nil
                reply = try await handler(&request, context, caller)
            } catch let problem as ServiceProblem {
                reply = Self.problemReply(problem)
            } catch let error as OperationError {
                reply = Self.problemReply(problem(error, requestId: requestId))
            } catch let error as HTTPError {
                reply = Self.problemReply(
                    ServiceProblem(
                        Int(error.status.code),
                        error.status == .contentTooLarge
                            ? "the body is larger than the service takes (\(options.maxBody) bytes)"
                            : error.body ?? error.status.reasonPhrase))
            } catch {
                state.logger.error("request \(requestId) failed: \(error)")
                reply = Self.problemReply(ServiceProblem(500, "the service failed to answer (request \(requestId))"))
            }
            let elapsed = ContinuousClock.now - started
            metrics.record(status: reply.status, duration: elapsed)
            if reply.status >= 500 {
                state.logger.warning(
                    "\(method.rawValue) \(request.uri.path) \(reply.status)",
                    metadata: ["request": .string(requestId)])
            } else {
                state.logger.debug(
                    "\(method.rawValue) \(request.uri.path) \(reply.status)",
                    metadata: ["request": .string(requestId)])
            }
            var headers = HTTPFields()
            if !reply.contentType.isEmpty { headers[.contentType] = reply.contentType }
            headers[Self.requestIdHeader] = requestId
            for (name, value) in reply.headers {
                if let field = HTTPField.Name(name) { headers[field] = value }
            }
            return Response(
                status: HTTPResponse.Status(code: reply.status), headers: headers,
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: reply.body)))
        }
    }

    static func problemReply(_ problem: ServiceProblem) -> Reply {
        var reply = Reply(
            problem.status, bytes: Array(problem.json.jsonText.utf8), contentType: "application/problem+json")
        if problem.challenge { reply.headers.append(("WWW-Authenticate", "Bearer realm=\"clientele\"")) }
        if problem.status == 503 { reply.headers.append(("Retry-After", "1")) }
        if !problem.allow.isEmpty { reply.headers.append(("Allow", problem.allow.joined(separator: ", "))) }
        return reply
    }

    /// The problem of a library error. The store's own failures are logged with the
    /// request id and answered without their details (paths of the server's disk).
    func problem(_ error: OperationError, requestId: String) -> ServiceProblem {
        guard case .store(let failure) = error else { return ServiceProblem(error) }
        if failure.isBusy {
            return ServiceProblem(503, "the store is busy: another process is writing to it; try again")
        }
        if failure == ServiceState.unavailable || failure == ServiceState.stopped {
            return ServiceProblem(503, failure.message)
        }
        state.logger.error("request \(requestId): \(failure.message)")
        return ServiceProblem(
            500, "the store failed to answer; the service's log has the details (request \(requestId))")
    }

    /// The key and the acting user of a request, or 401 (no key, an unknown or revoked one).
    func authenticate(_ request: Request) throws(ServiceProblem) -> Caller {
        // While the store is opened again, its keys may be out of date: nobody is let in.
        guard !state.isUnavailable else { throw ServiceProblem(503, ServiceState.unavailable.message) }
        let snapshot = state.snapshot
        guard let header = request.headers[.authorization] else { throw .unauthorized }
        let parts = header.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "bearer",
            let key = snapshot.keys.authenticate(parts[1].trimmingCharacters(in: .whitespaces))
        else { throw .unauthorized }
        let named = request.headers[Self.userHeader]
        if let own = key.user {
            if let named, named != own {
                throw ServiceProblem(
                    403,
                    "a user key acts as its own user ('\(own)'); Clientele-User names another, which needs a service key"
                )
            }
            guard snapshot.activeUser(own) != nil else {
                throw ServiceProblem(
                    403,
                    "the key's user '\(own)' is not an active user of config version \(snapshot.version.number)")
            }
            return Caller(key: key, user: own, snapshot: snapshot)
        }
        guard let named else { return Caller(key: key, user: nil, snapshot: snapshot) }
        guard snapshot.config.access.org.user(named) != nil else {
            throw ServiceProblem(400, "Clientele-User: there is no user '\(named)'")
        }
        guard snapshot.activeUser(named) != nil else {
            throw ServiceProblem(403, "Clientele-User: user '\(named)' is not active")
        }
        return Caller(key: key, user: named, snapshot: snapshot)
    }

    /// The `{id}` of the path, percent-decoded.
    static func pathId(_ context: Context) throws(ServiceProblem) -> String {
        let raw = context.parameters.get("id") ?? ""
        guard let id = raw.removingPercentEncoding else {
            throw .badRequest("the customer id in the path is not percent-encoded UTF-8")
        }
        return id
    }

    /// The body as one JSON object with only `allowed` members.
    static func body(_ request: inout Request, _ options: ClienteleServer.Options, allowed: Set<String>) async throws
        -> RequestInput
    {
        try RequestInput(body: try await bytes(&request, options), allowed: allowed)
    }

    /// The body's bytes, up to `--max-body` (413 past it).
    static func bytes(_ request: inout Request, _ options: ClienteleServer.Options) async throws -> ByteBuffer {
        let tooLarge = ServiceProblem(413, "the body is larger than the service takes (\(options.maxBody) bytes)")
        if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > options.maxBody {
            throw tooLarge
        }
        do { return try await request.collectBody(upTo: options.maxBody) } catch is NIOTooManyBytesError {
            throw tooLarge
        } catch {
            throw ServiceProblem(400, "the request's body could not be read whole (the connection closed or broke)")
        }
    }

    // MARK: Decisions

    private func decisions(_ request: inout Request, _ caller: Caller) async throws -> Reply {
        _ = try RequestQuery(request, allowed: [])
        let items = try DecisionRequests.parse(try await Self.bytes(&request, options), limit: Self.maxDecisions)
        let snapshot = caller.snapshot
        let policy = snapshot.config.access
        let org = policy.org
        // A user key asks for its own user, unless that user is an admin; a service key for anyone.
        let asker = caller.key.user.flatMap(org.user)
        let mayAskForAnyone = caller.key.isService || asker.map(snapshot.mayConfigure) == true
        let now = Timestamp.currentSeconds()
        var out = "{\"decisions\":["
        out.reserveCapacity(16 + items.count * 48)
        for (k, item) in items.enumerated() {
            if !mayAskForAnyone, item.user != caller.key.user {
                throw ServiceProblem(
                    403,
                    "a user key decides only for its own user ('\(caller.key.user ?? "")'), unless that user is an admin; requests[\(k)] asks for '\(item.user)'"
                )
            }
            if k > 0 { out += "," }
            guard let user = org.user(item.user) else {
                out += Self.undecided("there is no user \(JSONValue.string(item.user).jsonText)")
                continue
            }
            guard let action = Action(rawValue: item.action) else {
                out += Self.undecided("there is no action \(JSONValue.string(item.action).jsonText)")
                continue
            }
            guard let (table, customer) = snapshot.customers.locate(item.customer) else {
                // To a user asking for itself, a customer that does not exist is one it may not act on.
                out +=
                    mayAskForAnyone
                    ? Self.undecided("there is no stored customer \(JSONValue.string(item.customer).jsonText)")
                    : "{\"allowed\":false,\"rule\":null}"
                continue
            }
            let d = policy.decide(user: user, action: action, customer: customer, in: table, now: now)
            // To a user asking for itself, a customer it may not view is one that does not
            // exist, whatever the action: not allowed, and no rule (its id would tell).
            if !mayAskForAnyone,
                action == .view
                    ? !d.allowed : !policy.isAllowed(user: user, action: .view, customer: customer, in: table, now: now)
            {
                out += "{\"allowed\":false,\"rule\":null}"
                continue
            }
            out += d.allowed ? "{\"allowed\":true,\"rule\":" : "{\"allowed\":false,\"rule\":"
            if let rule = d.ruleId { JSONValue.writeString(rule, to: &out) } else { out += "null" }
            out += "}"
        }
        out += "]}"
        state.metrics.decided(items.count)
        return Reply(200, bytes: Array(out.utf8), contentType: "application/json")
    }

    private static func undecided(_ why: String) -> String {
        "{\"allowed\":false,\"rule\":null,\"error\":" + JSONValue.string(why).jsonText + "}"
    }

    // MARK: Who can, visible

    private func whoCan(_ request: Request, _ id: String, _ caller: Caller) async throws -> Reply {
        let query = try RequestQuery(request, allowed: ["action"])
        let action = try Self.action(query["action"] ?? "view")
        let snapshot = caller.snapshot
        let policy = snapshot.config.access
        let now = Timestamp.currentSeconds()
        guard let (table, c) = snapshot.customers.locate(id) else {
            throw OperationError.notFound("there is no customer '\(id)'")
        }
        // A user asks only about customers it may view; a service key without a user about any.
        if let user = caller.user {
            guard let u = snapshot.activeUser(user),
                policy.isAllowed(user: u, action: .view, customer: c, in: table, now: now)
            else { throw OperationError.notFound("there is no customer '\(id)'") }
        }
        let ids = policy.org.userIds
        let users = policy.whoCan(action, customer: c, in: table, now: now).map {
            JSONValue.object([("user", .string(ids[$0.user])), ("rule", .string($0.rule))])
        }
        return Reply(
            json: .object([("action", .string(action.rawValue)), ("customer", .string(id)), ("users", .array(users))]))
    }

    private func visible(_ request: Request, _ caller: Caller) throws -> Reply {
        let query = try RequestQuery(request, allowed: ["action", "limit", "after"])
        let action = try Self.action(query["action"] ?? "view")
        let limit = try query.limit(default: 100, max: 10_000)
        let snapshot = caller.snapshot
        guard let user = snapshot.activeUser(try caller.actingUser()) else {
            throw ServiceProblem(403, "the acting user is not active")
        }
        let page = snapshot.customers.page(
            snapshot.config.access, user: user, action: action, now: Timestamp.currentSeconds(), after: query["after"],
            limit: limit)
        return Reply(
            json: .object([
                ("customers", .array(page.ids.map(JSONValue.string))),
                ("next", page.next.map(JSONValue.string) ?? .null), ("count", .number(String(page.count))),
            ]))
    }

    static func action(_ name: String) throws(ServiceProblem) -> Action {
        guard let action = Action(rawValue: name) else {
            throw .badRequest("there is no action '\(name)'; the actions are \(Action.names.joined(separator: ", "))")
        }
        return action
    }

    // MARK: Customers

    private func list(_ request: Request, _ caller: Caller) async throws -> Reply {
        let q = try RequestQuery(
            request,
            allowed: [
                "where", "search", "tag", "followed", "pool", "table", "package", "view", "list", "near", "radius",
                "limit", "after",
            ])
        var query = CustomerListing.Query()
        if let point = q["near"] {
            var radius: Double?
            if let text = q["radius"] {
                guard let value = Double(text) else {
                    throw ServiceProblem.badRequest("radius is in km, not '\(text)'")
                }
                radius = value
            }
            query.near = try CustomerListing.Near(point, radius: radius, names: ("near", "radius"))
        } else if q["radius"] != nil {
            throw ServiceProblem.badRequest("radius goes with near")
        }
        query.whereExpression = q["where"]
        query.search = q["search"]?.lowercased()
        query.tag = q["tag"]
        query.followed = try q.flag("followed")
        query.pool = q["pool"]
        query.package = q["package"]
        query.view = q["view"]
        if let name = q["table"] {
            guard let table = TableKind(rawValue: name) else {
                throw ServiceProblem.badRequest(
                    "there is no table '\(name)'; the tables are \(TableKind.allCases.map(\.rawValue).joined(separator: ", "))"
                )
            }
            query.table = table
        }
        let limit = try q.limit(default: 100, max: 1_000)
        let after = q["after"]
        let actor = try caller.actingUser()
        let finished = query
        let listName = q["list"]
        let documents = try await state.reading { store, snapshot throws(OperationError) in
            let listing = CustomerListing(config: snapshot.config, store: store, now: finished.now)
            var query = finished
            query.list = try listing.savedList(named: listName, for: actor)
            return try listing.run(as: actor, query)
        }
        // The documents come in number order (or a list's, or nearest first): the page is what follows the cursor.
        var start = 0
        if let cursor = after, listName != nil || finished.near != nil {
            guard let k = documents.firstIndex(where: { $0["id"]?.stringValue == cursor }) else {
                throw ServiceProblem.badRequest(
                    "the customer 'after' names is no longer in the list; start again without 'after'")
            }
            start = k + 1
        } else if let cursor = after {
            start =
                documents.firstIndex { CustomerListing.numberOrder(cursor, $0["id"]?.stringValue ?? "") }
                ?? documents.count
        }
        let page = Array(documents[start..<min(documents.count, start + limit)])
        let next = start + limit < documents.count ? page.last?["id"] : nil
        return Reply(
            json: .object([
                ("customers", .array(page)), ("next", next ?? .null), ("count", .number(String(documents.count))),
            ]))
    }

    /// `customer transfer`: the customers named, or those `where` selects among the ones
    /// the caller may assign, all or nothing.
    private func transfer(_ request: inout Request, _ caller: Caller) async throws -> Reply {
        _ = try RequestQuery(request, allowed: [])
        let input = try await Self.body(
            &request, options, allowed: ["customers", "where", "to", "service_rep", "dry_run"])
        let (ids, selection) = (try input.strings("customers"), try input.string("where"))
        guard ids.isEmpty != (selection == nil) else {
            throw ServiceProblem.badRequest(
                ids.isEmpty
                    ? "name the \"customers\" to transfer, or select them with \"where\""
                    : "name the \"customers\" to transfer or select them with \"where\"; not both")
        }
        let (owner, rep, dryRun) = (
            try input.requiredString("to"), try input.string("service_rep"), try input.bool("dry_run")
        )
        let actor = try caller.actingUser()
        let time = Timestamp.now()
        let outcome = try await state.writing { operations, _ throws(OperationError) in
            var chosen = ids
            if let selection {
                var query = CustomerListing.Query()
                query.action = .assign
                query.whereExpression = selection
                query.now = operations.now
                chosen = try CustomerListing(operations: operations).ids(as: actor, query)
                if chosen.isEmpty { return TransferOutcome() }
            }
            return try operations.transfer(
                as: actor, ids: chosen, to: owner, serviceRep: rep, dryRun: dryRun, time: time)
        }
        guard case .object(var members) = outcome.json else { return Reply(json: outcome.json) }
        members.append(("dry_run", JSONValue.bool(dryRun)))
        return Reply(json: .object(members))
    }

    /// `customer duplicates`: the groups the matching rules find among what the caller may see.
    private func duplicates(_ request: Request, _ caller: Caller) async throws -> Reply {
        let rule = try RequestQuery(request, allowed: ["rule"])["rule"]
        let actor = try caller.actingUser()
        let groups = try await state.reading { store, snapshot throws(OperationError) in
            let operations = CustomerOperations(config: snapshot.config, store: store)
            return try operations.duplicates(as: actor, rules: operations.duplicateRules(named: rule))
        }
        return Reply(json: .object([("groups", .array(groups.map(\.json)))]))
    }

    /// `customer merge KEEP OTHER... --take FIELD=ID`.
    private func merge(_ request: inout Request, _ caller: Caller) async throws -> Reply {
        _ = try RequestQuery(request, allowed: [])
        let input = try await Self.body(&request, options, allowed: ["keep", "others", "take"])
        let keep = try input.requiredString("keep")
        let others = try input.strings("others")
        var take: [(field: String, from: String)] = []
        if let value = input["take"], value != .null {
            guard case .object(let members) = value else {
                throw ServiceProblem.badRequest("\"take\" must be an object of field names to customer ids")
            }
            for (field, from) in members {
                guard case .string(let id) = from else {
                    throw ServiceProblem.badRequest("\"take\": the value of \"\(field)\" must be a customer id")
                }
                take.append((field, id))
            }
        }
        let actor = try caller.actingUser()
        let time = Timestamp.now()
        let taken = take
        let outcome = try await state.writing { operations, _ throws(OperationError) in
            try operations.merge(as: actor, keep: keep, others: others, take: taken, time: time)
        }
        return Reply(json: outcome.json)
    }

    /// `customer lists`: the saved lists shown to the caller.
    private func savedLists(_ request: Request, _ caller: Caller) async throws -> Reply {
        _ = try RequestQuery(request, allowed: [])
        let actor = try caller.actingUser()
        let lists = try await state.reading { store, snapshot throws(OperationError) in
            try CustomerListing(config: snapshot.config, store: store).savedLists(for: actor)
        }
        return Reply(json: .object([("lists", .array(lists.map(CustomerListing.json)))]))
    }

    /// `customer edit ID... FIELD=VALUE` and `customer edit --where`: one batch, all or nothing.
    private func editMany(_ request: inout Request, _ caller: Caller) async throws -> Reply {
        _ = try RequestQuery(request, allowed: [])
        let input = try await Self.body(&request, options, allowed: ["customers", "where", "fields"])
        let (ids, selection) = (try input.strings("customers"), try input.string("where"))
        guard ids.isEmpty != (selection == nil) else {
            throw ServiceProblem.badRequest(
                ids.isEmpty
                    ? "name the \"customers\" to edit, or select them with \"where\""
                    : "name the \"customers\" to edit or select them with \"where\"; not both")
        }
        let fields = try input.fields()
        guard !fields.isEmpty else { throw ServiceProblem.badRequest("\"fields\" names no field to change") }
        let actor = try caller.actingUser()
        let time = Timestamp.now()
        let edited = try await state.writing {
            operations, _ throws(OperationError) -> [(id: String, fields: [String])] in
            var chosen = ids
            if let selection {
                var query = CustomerListing.Query()
                query.action = .edit
                query.whereExpression = selection
                query.now = operations.now
                chosen = try CustomerListing(operations: operations).ids(as: actor, query)
                if chosen.isEmpty { return [] }
            }
            return try operations.editMany(as: actor, ids: chosen, assignments: fields, time: time)
        }
        return Reply(
            json: .object([
                (
                    "edited",
                    .array(
                        edited.map {
                            .object([("id", .string($0.id)), ("fields", .array($0.fields.map(JSONValue.string)))])
                        })
                )
            ]))
    }

    private func add(_ request: inout Request, _ caller: Caller) async throws -> Reply {
        _ = try RequestQuery(request, allowed: [])
        let input = try await Self.body(&request, options, allowed: ["table", "package", "team", "fields"])
        let tableName = try input.requiredString("table")
        guard let table = TableKind(rawValue: tableName) else {
            throw ServiceProblem.badRequest(
                "there is no table '\(tableName)'; the tables are \(TableKind.allCases.map(\.rawValue).joined(separator: ", "))"
            )
        }
        let (package, team, fields) = (try input.string("package"), try input.string("team"), try input.fields())
        let actor = try caller.actingUser()
        let time = Timestamp.now()
        let (added, document) = try await state.writing { operations, _ throws(OperationError) in
            let added = try operations.add(
                as: actor, team: team, table: table, package: package, assignments: fields, time: time)
            // Committed: what follows never fails the request (a customer its creator may not view is answered by id).
            return (added, try? operations.show(as: actor, id: added.id))
        }
        let id = added.id
        var reply =
            document.map { Self.customerReply(201, $0, etag: Self.etag($0)) }
            ?? Reply(201, json: .object([("id", .string(id))]))
        reply.headers.append(("Location", "/v1/customers/" + Self.pathSegment(id)))
        // The stored customers a warning matching rule finds alike (the body is the customer, as GET gives it).
        let alike = Set(added.duplicates.flatMap(\.customers)).sorted(by: CustomerListing.numberOrder)
        if !alike.isEmpty { reply.headers.append(("Clientele-Duplicates", alike.joined(separator: ", "))) }
        return reply
    }

    private func edit(_ request: inout Request, _ id: String, _ caller: Caller) async throws -> Reply {
        let view = try RequestQuery(request, allowed: ["view"])["view"]
        let ifMatch = Self.ifMatch(request)
        let input = try await Self.body(&request, options, allowed: ["fields"])
        let fields = try input.fields()
        let actor = try caller.actingUser()
        let time = Timestamp.now()
        enum Outcome {
            /// If-Match named another ETag than this, the customer's now: nothing was written.
            case stale(String)
            /// Committed; the customer as the caller sees it now, unless the edit took it out of sight.
            case edited(JSONValue?)
        }
        let outcome = try await state.writing { operations, snapshot throws(OperationError) -> Outcome in
            if let ifMatch, let current = try Self.stale(ifMatch, operations.show(as: actor, id: id)) {
                return .stale(current)
            }
            let listing = CustomerListing(config: snapshot.config, store: operations.store)
            try operations.edit(as: actor, id: id, assignments: fields, time: time, view: try listing.view(named: view))
            // Committed: what follows never fails the request.
            return .edited(try? operations.show(as: actor, id: id))
        }
        switch outcome {
        case .stale(let current): return Self.staleReply(id, current)
        case .edited(nil): return Reply(json: .object([("id", .string(id))]))
        case .edited(let document?): return Self.customerReply(200, document, etag: Self.etag(document))
        }
    }

    /// The `If-Match` of a request, its repeated headers joined as one list; nil without one.
    static func ifMatch(_ request: Request) -> String? {
        let values = request.headers[values: .ifMatch]
        return values.isEmpty ? nil : values.joined(separator: ",")
    }

    /// The customer's ETag when `ifMatch` does not name it (the write must not happen); nil when it does.
    static func stale(_ ifMatch: String, _ shown: JSONValue) -> String? {
        let etag = etag(shown)
        return matches(ifMatch, etag) ? nil : etag
    }

    /// 412: the customer changed since the ETag the caller gave; nothing was written.
    static func staleReply(_ id: String, _ current: String) -> Reply {
        problemReply(
            ServiceProblem(
                412, "\(id) changed since the ETag given in If-Match; read it again (its ETag is now \(current))"))
    }

    /// Whether an `If-Match` value names the ETag (or is `*`), compared strongly (RFC 9110):
    /// a weak tag never matches.
    static func matches(_ header: String, _ etag: String) -> Bool {
        header.split(separator: ",").contains { part in
            let tag = part.trimmingCharacters(in: .whitespaces)
            return tag == "*" || tag == etag
        }
    }

    /// A strong ETag: the SHA-256 of the customer as the caller sees it, so it changes
    /// with anything they can see and tells nothing of what they cannot.
    static func etag(_ document: JSONValue) -> String {
        let digest = SHA256.hash(data: Array(document.jsonText.utf8))
        return "\"" + digest.prefix(16).map { String($0 >> 4, radix: 16) + String($0 & 15, radix: 16) }.joined() + "\""
    }

    static func customerReply(_ status: Int, _ document: JSONValue, etag: String) -> Reply {
        var reply = Reply(status, json: document)
        reply.headers.append(("ETag", etag))
        return reply
    }

    static func changedJSON(_ ids: [String]) -> JSONValue {
        .object([("changed", .array(ids.map(JSONValue.string)))])
    }

    /// An id as a path segment (ids are letters, digits, '-' and '_', which need no escaping).
    static func pathSegment(_ id: String) -> String {
        id.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/")))
            ?? id
    }

    // MARK: Log and config

    private func log(_ request: Request, _ caller: Caller) async throws -> Reply {
        let q = try RequestQuery(request, allowed: ["customer", "type", "since", "until"])
        if let type = q["type"], !CustomerLog.types.contains(type) {
            throw ServiceProblem.badRequest(
                "there is no log entry type '\(type)'; the types are \(CustomerLog.types.joined(separator: ", "))")
        }
        for name in ["since", "until"] {
            if let value = q[name], !CustomerLog.isTime(value) {
                throw ServiceProblem.badRequest(
                    "\(name) must be a date (2026-11-23) or a date and time with an offset (2026-11-23T09:00:00Z), not '\(value)'"
                )
            }
        }
        let actor = try caller.actingUser()
        let (customer, type, since, until) = (q["customer"], q["type"], q["since"], q["until"])
        let entries = try await state.reading { store, snapshot throws(OperationError) in
            let all: [JSONValue]
            do throws(StoreError) { all = try store.logEntries() } catch { throw .store(error) }
            let readable = try CustomerLog.readable(
                all, as: actor,
                operations: CustomerOperations(config: snapshot.config, store: store, now: Timestamp.currentSeconds()))
            return CustomerLog.filter(readable, customer: customer, type: type, since: since, until: until)
        }
        return Reply(json: .object([("entries", .array(entries))]))
    }

    /// `POST /v1/plans` (the plan of `clientele plan --format json` for the config files
    /// sent) and `POST /v1/apply` (the same files and the hashes of their plan: applied
    /// exactly, or nothing when the config or the data moved since), both for users who
    /// may configure. The work runs away from the event loops and the store's queue.
    private func configChange(_ request: inout Request, _ caller: Caller, applying: Bool) async throws -> Reply {
        _ = try RequestQuery(request, allowed: [])
        let input = try await Self.body(
            &request, options, allowed: applying ? ["files", "config_hash", "data_hash", "allow_data_loss"] : ["files"])
        let files = try Self.configFiles(input)
        let hashes = applying ? (try input.requiredString("config_hash"), try input.requiredString("data_hash")) : nil
        let allowDataLoss = try input.bool("allow_data_loss")
        let actor = try caller.actingUser()
        let snapshot = caller.snapshot
        guard let u = snapshot.activeUser(actor) else { throw ServiceProblem(403, "user '\(actor)' is not active") }
        try snapshot.config.refuseUnlessConfigure(u, doing: applying ? "apply a config" : "plan a config")
        let directory = state.directory
        let now = Timestamp.currentSeconds()
        let time = Timestamp.now()
        let reply = try await Self.detached { () throws -> Reply in
            guard
                let change = try PlannedChange.make(
                    directory: directory, writer: applying ? "clientele serve (apply)" : nil, source: .files(files),
                    actor: actor, now: now)
            else { throw ServiceProblem(503, "the store holds no applied config version") }
            let plan = change.plan
            guard let (config, data) = hashes else { return Reply(json: PlanRenderer.json(plan)) }
            if !plan.errors.isEmpty {
                let renderer = DiagnosticRenderer(files: change.files, colors: false)
                let messages = plan.errors.map { renderer.render($0) }
                throw ServiceProblem(409, messages.first ?? "the plan has errors", errors: messages)
            }
            let saved = JSONValue.object([("config_hash", .string(config)), ("data_hash", .string(data))]).jsonText
            if let problem = change.savedPlanProblem(saved, path: "the request") { throw ServiceProblem(409, problem) }
            guard plan.hasChanges else {
                return Reply(
                    json: .object([("applied", .bool(false)), ("version", .number(String(plan.appliedVersion)))]))
            }
            if let refusal = change.refusal(allowDataLoss: allowDataLoss) { throw ServiceProblem(409, refusal) }
            let outcome = try change.apply(allowDataLoss: allowDataLoss, actor: actor, time: time)
            return Reply(
                json: .object([
                    ("applied", .bool(true)), ("version", .number(String(outcome.version))),
                    ("records_changed", .number(String(outcome.recordsChanged))),
                    ("records_removed", .number(String(outcome.recordsRemoved))),
                    // Within the store folder: no path of the server's disk is answered.
                    (
                        "backup",
                        outcome.backup.map {
                            JSONValue.string(
                                $0.hasPrefix(directory.storePath + "/")
                                    ? String($0.dropFirst(directory.storePath.count + 1))
                                    : ($0 as NSString).lastPathComponent)
                        } ?? .null
                    ),
                ]))
        }
        // The new version is served before the answer: a request that follows sees it.
        if applying { await state.refreshNow() }
        return reply
    }

    /// `"files"`: paths relative to the config directory (clientele.yaml among them), each with its text.
    static func configFiles(_ input: RequestInput) throws(ServiceProblem) -> [(path: String, text: String)] {
        guard case .object(let members)? = input["files"], !members.isEmpty else {
            throw .badRequest("the body needs \"files\": an object of each config file's path and text")
        }
        var files: [(path: String, text: String)] = []
        var seen = Set<String>()
        for (path, value) in members {
            let parts = path.split(separator: "/", omittingEmptySubsequences: false)
            guard !path.isEmpty, !path.hasPrefix("/"),
                !parts.contains(where: { $0 == ".." || $0 == "." || $0.isEmpty }),
                !path.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F })
            else {
                throw .badRequest("files: '\(path)' is not a path relative to the config directory")
            }
            guard seen.insert(path).inserted else { throw .badRequest("files: '\(path)' is given twice") }
            guard case .string(let text) = value else { throw .badRequest("files: '\(path)' must be the file's text") }
            files.append((path, text))
        }
        guard seen.contains("clientele.yaml") else { throw .badRequest("files: clientele.yaml is missing") }
        return files
    }

    /// Runs `body` on a thread of its own: work that takes long and must not hold an event loop.
    static func detached<R: Sendable>(_ body: @escaping @Sendable () throws -> R) async throws -> R {
        let result: Result<R, any Error> = await withCheckedContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(returning: Result { try body() }) }
        }
        return try result.get()
    }

    static func configJSON(_ version: AppliedVersion) -> JSONValue {
        var hasher = SHA256()
        for file in version.files.sorted(by: { $0.path < $1.path }) {
            hasher.update(data: Array(file.path.utf8) + [0] + Array(file.text.utf8) + [0])
        }
        let hash = hasher.finalize().map { String($0 >> 4, radix: 16) + String($0 & 15, radix: 16) }.joined()
        return .object([
            ("version", .number(String(version.number))), ("hash", .string(hash)),
            ("applied_at", .string(version.appliedAt)), ("applied_by", .string(version.appliedBy)),
        ])
    }
}

/// Answers a request no route took: 405 with `Allow` when its path is a route's
/// with another method, else 404; both as problem documents.
struct Unrouted: RouterMiddleware {
    typealias Context = BasicRequestContext
    let registered: ServiceRoutes.Registered

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        do { return try await next(request, context) } catch let error as HTTPError where error.status == .notFound {
            let allowed = Self.methods(of: request.uri.path, in: registered.routes.withLock { $0 })
            let path = request.uri.path
            let problem =
                allowed.isEmpty
                ? ServiceProblem(404, "there is no route \(path); openapi.yaml lists the routes")
                : ServiceProblem(
                    405, "\(path) takes \(allowed.joined(separator: ", ")), not \(request.method.rawValue)",
                    allow: allowed)
            let reply = ServiceRoutes.problemReply(problem)
            var headers = HTTPFields()
            headers[.contentType] = reply.contentType
            headers[ServiceRoutes.requestIdHeader] = ServiceRoutes.nextRequestId()
            for (name, value) in reply.headers {
                if let field = HTTPField.Name(name) { headers[field] = value }
            }
            return Response(
                status: HTTPResponse.Status(code: reply.status), headers: headers,
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: reply.body)))
        }
    }

    /// The methods of the routes whose pattern (`:id` matching one segment) is `path`.
    static func methods(of path: String, in routes: [String]) -> [String] {
        let segments = path.split(separator: "/", omittingEmptySubsequences: false)
        var methods: [String] = []
        for route in routes {
            let parts = route.split(separator: " ", maxSplits: 1)
            let pattern = parts[1].split(separator: "/", omittingEmptySubsequences: false)
            guard pattern.count == segments.count,
                zip(pattern, segments).allSatisfy({ $0.hasPrefix(":") ? !$1.isEmpty : $0 == $1 })
            else { continue }
            let method = String(parts[0])
            if !methods.contains(method) { methods.append(method) }
        }
        return methods
    }
}
