import ClienteleCore
import NIOCore

/// The body of `POST /v1/decisions`, read from the JSON tape without building a tree:
/// `{"requests":[{"user","action","customer"}, ...]}`, strictly (every member named,
/// each a string, none repeated, nothing else).
enum DecisionRequests {
    struct Item {
        var user: String
        var action: String
        var customer: String
    }

    static func parse(_ buffer: ByteBuffer, limit: Int) throws(ServiceProblem) -> [Item] {
        let result: Result<[Item], ServiceProblem> = buffer.withUnsafeReadableBytes { raw in
            let bytes = raw.assumingMemoryBound(to: UInt8.self)
            guard bytes.contains(where: { $0 != 0x20 && $0 != 0x0A && $0 != 0x0D && $0 != 0x09 }) else {
                return .failure(.badRequest("the request needs a JSON object as its body"))
            }
            var tape = JSONTape(refusesLoneSurrogates: true)
            do throws(JSONTape.SyntaxError) { try tape.parse(bytes) } catch {
                return .failure(.badRequest("the body is not JSON: \(error.message) (byte \(error.offset + 1))"))
            }
            return tape.withView(bytes: bytes) { view in
                Result { () throws(ServiceProblem) -> [Item] in try read(view, limit: limit) }
            }
        }
        return try result.get()
    }

    private static let shape = "{\"user\",\"action\",\"customer\"}"

    private static func read(_ view: JSONView, limit: Int) throws(ServiceProblem) -> [Item] {
        guard view.kind(0) == .object else { throw .badRequest("the body must be a JSON object") }
        var requests: Int?
        var j = 1
        while j < view.next(0) {
            guard view.stringEquals(j, "requests") else {
                throw .badRequest("the body has no member \"\(view.string(j))\"; it takes \"requests\"")
            }
            guard requests == nil else { throw .badRequest("the member \"requests\" is given twice") }
            requests = j + 1
            j = view.next(j + 1)
        }
        guard let list = requests, view.kind(list) == .array else {
            throw .badRequest("the body needs \"requests\": an array of \(shape)")
        }
        let count = Int(view.token(list).count)
        guard count <= limit else { throw .badRequest("at most \(limit) requests per call, not \(count)") }
        var items: [Item] = []
        items.reserveCapacity(count)
        var i = list + 1
        var k = 0
        while i < view.next(list) {
            guard view.kind(i) == .object else { throw .badRequest("requests[\(k)] must be an object \(shape)") }
            var user: String?
            var action: String?
            var customer: String?
            var m = i + 1
            while m < view.next(i) {
                let value = m + 1
                let name: String
                if view.stringEquals(m, "user") {
                    name = "user"
                } else if view.stringEquals(m, "action") {
                    name = "action"
                } else if view.stringEquals(m, "customer") {
                    name = "customer"
                } else {
                    throw .badRequest(
                        "requests[\(k)] has no member \"\(view.string(m))\"; a request has \"user\", \"action\" and \"customer\""
                    )
                }
                guard view.kind(value) == .string else { throw .badRequest("requests[\(k)].\(name) must be a string") }
                let text = view.string(value)
                switch name {
                case "user" where user == nil: user = text
                case "action" where action == nil: action = text
                case "customer" where customer == nil: customer = text
                default: throw .badRequest("requests[\(k)]: \"\(name)\" is given twice")
                }
                m = view.next(value)
            }
            guard let user, let action, let customer else {
                throw .badRequest("requests[\(k)] needs \"user\", \"action\" and \"customer\"")
            }
            items.append(Item(user: user, action: action, customer: customer))
            i = view.next(i)
            k += 1
        }
        return items
    }
}
