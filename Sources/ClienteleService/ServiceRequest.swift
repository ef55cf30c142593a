import ClienteleCore
import ClienteleKit
import Foundation
import Hummingbird

/// What a handler answers: a status, headers, and a JSON body (or none).
package struct Reply: Sendable {
    var status: Int
    var body: [UInt8]
    var contentType = "application/json"
    var headers: [(String, String)] = []

    init(_ status: Int = 200, json: JSONValue) {
        self.status = status
        body = Array(json.jsonText.utf8)
    }

    init(_ status: Int, bytes: [UInt8], contentType: String) {
        self.status = status
        body = bytes
        self.contentType = contentType
    }

    static var noContent: Reply { Reply(204, bytes: [], contentType: "") }
}

/// Who is asking: the key, and the user it acts as (a user key's own user, or the
/// one a service key names in `Clientele-User`).
package struct Caller: Sendable {
    let key: ServiceKey
    /// The acting user, when there is one.
    let user: String?
    /// The snapshot the request was authenticated on: everything it decides, it
    /// decides on this one (the version, the users, the customers' access columns).
    let snapshot: ServiceSnapshot

    /// The acting user; a service key that names none is told how to.
    func actingUser() throws(ServiceProblem) -> String {
        guard let user else {
            throw .badRequest("a service key acts as the user the request names: send the header Clientele-User: USER")
        }
        return user
    }
}

/// A request's JSON body and query, read strictly: unknown members, repeated
/// members and values of the wrong type are refused (400), naming the member.
struct RequestInput {
    let members: [(String, JSONValue)]

    /// Parses `bytes` as one JSON object with no other members than `allowed`.
    init(body bytes: ByteBuffer, allowed: Set<String>) throws(ServiceProblem) {
        guard let text = String(validating: bytes.readableBytesView, as: UTF8.self) else {
            throw .badRequest("the body is not UTF-8 text")
        }
        guard !text.allSatisfy(\.isWhitespace) else { throw .badRequest("the request needs a JSON object as its body") }
        let value: JSONValue
        do { value = try JSONValue.parse(text, refusingLoneSurrogates: true) } catch {
            throw .badRequest("the body is not JSON: \(error.message) (byte \(error.offset + 1))")
        }
        guard case .object(let members) = value else { throw .badRequest("the body must be a JSON object") }
        var seen = Set<String>()
        for (key, _) in members {
            guard seen.insert(key).inserted else { throw .badRequest("the member \"\(key)\" is given twice") }
            guard allowed.contains(key) else {
                throw .badRequest(
                    "the body has no member \"\(key)\"; it takes \(allowed.sorted().map { "\"\($0)\"" }.joined(separator: ", "))"
                )
            }
        }
        self.members = members
    }

    subscript(_ key: String) -> JSONValue? { members.first { $0.0 == key }?.1 }

    func string(_ key: String) throws(ServiceProblem) -> String? {
        guard let value = self[key], value != .null else { return nil }
        guard case .string(let s) = value else { throw .badRequest("\"\(key)\" must be a string") }
        return s
    }

    func requiredString(_ key: String) throws(ServiceProblem) -> String {
        guard let s = try string(key) else { throw .badRequest("the body needs \"\(key)\"") }
        return s
    }

    /// The most items a list in a body may have (`customers`, `tags`, `users`, ...),
    /// and the most fields its `fields` may give.
    static let maxItems = 1_000

    func strings(_ key: String) throws(ServiceProblem) -> [String] {
        guard let value = self[key], value != .null else { return [] }
        guard case .array(let items) = value else { throw .badRequest("\"\(key)\" must be an array of strings") }
        guard items.count <= Self.maxItems else {
            throw .badRequest("\"\(key)\" takes at most \(Self.maxItems) items, not \(items.count)")
        }
        var out: [String] = []
        for item in items {
            guard case .string(let s) = item else { throw .badRequest("\"\(key)\" must be an array of strings") }
            out.append(s)
        }
        return out
    }

    func bool(_ key: String) throws(ServiceProblem) -> Bool {
        guard let value = self[key], value != .null else { return false }
        guard case .bool(let b) = value else { throw .badRequest("\"\(key)\" must be true or false") }
        return b
    }

    /// `"fields": {...}` as the operations take them.
    func fields(_ key: String = "fields") throws(ServiceProblem) -> [(String, FieldInput)] {
        guard let value = self[key], value != .null else { return [] }
        guard case .object(let members) = value else { throw .badRequest("\"\(key)\" must be an object of fields") }
        guard members.count <= Self.maxItems else {
            throw .badRequest("\"\(key)\" takes at most \(Self.maxItems) fields, not \(members.count)")
        }
        var seen = Set<String>()
        var out: [(String, FieldInput)] = []
        for (name, value) in members {
            guard seen.insert(name).inserted else { throw .badRequest("the field \"\(name)\" is given twice") }
            if case .object = value {
                throw .badRequest("field \"\(name)\": a field's value is a string, number, boolean, array or null")
            }
            out.append((name, .value(value)))
        }
        return out
    }
}

/// The query parameters of a request, read strictly as the body is.
struct RequestQuery {
    let parameters: [(String, String)]

    init(_ request: Request, allowed: Set<String>) throws(ServiceProblem) {
        var parameters: [(String, String)] = []
        var seen = Set<String>()
        for pair in (request.uri.query ?? "").split(separator: "&") {
            // Form encoding: '+' is a space ('%2B' a plus).
            let parts = pair.replacing("+", with: " ").split(
                separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let key = String(parts[0]).removingPercentEncoding,
                let value = parts.count > 1 ? String(parts[1]).removingPercentEncoding : ""
            else {
                throw .badRequest("the query parameter '\(parts[0])' is not percent-encoded UTF-8")
            }
            guard allowed.contains(key) else {
                throw .badRequest(
                    allowed.isEmpty
                        ? "this route takes no query parameters, not '\(key)'"
                        : "there is no query parameter '\(key)'; this route takes \(allowed.sorted().joined(separator: ", "))"
                )
            }
            guard seen.insert(key).inserted else { throw .badRequest("the query parameter '\(key)' is given twice") }
            parameters.append((key, value))
        }
        self.parameters = parameters
    }

    subscript(_ key: String) -> String? { parameters.first { $0.0 == key }?.1 }

    func limit(default value: Int, max: Int) throws(ServiceProblem) -> Int {
        guard let text = self["limit"] else { return value }
        guard let n = Int(text), n >= 1, n <= max else {
            throw .badRequest("limit is a whole number from 1 to \(max), not '\(text)'")
        }
        return n
    }

    func flag(_ key: String) throws(ServiceProblem) -> Bool {
        guard let text = self[key] else { return false }
        switch text {
        case "true", "": return true
        case "false": return false
        default: throw .badRequest("\(key) is true or false, not '\(text)'")
        }
    }
}
