import ClienteleCore
import ClienteleKit
import ClienteleSpec
import ClienteleStore

/// Why a request was not answered with what it asked for, as an RFC 9457
/// `application/problem+json` body: the status, a title, the message the command
/// line would print (`detail`), and every message when there are several (`errors`).
package struct ServiceProblem: Error, Sendable {
    package var status: Int
    package var detail: String
    package var errors: [String]
    /// Sent as `WWW-Authenticate` with a 401.
    var challenge = false
    /// The methods a 405 names in `Allow`.
    var allow: [String] = []

    package init(_ status: Int, _ detail: String, errors: [String] = [], allow: [String] = []) {
        self.status = status
        self.detail = detail
        self.errors = errors
        self.allow = allow
    }

    static func badRequest(_ detail: String) -> ServiceProblem { ServiceProblem(400, detail) }

    static var unauthorized: ServiceProblem {
        var problem = ServiceProblem(
            401, "give a key that is not revoked: Authorization: Bearer KEY ('clientele key create' makes one)")
        problem.challenge = true
        return problem
    }

    /// The status and messages of a library error: refused 403, no such customer 404,
    /// a conflict with the customer's state 409, bad input 400, the store 500.
    init(_ error: OperationError) {
        switch error {
        case .refused(let why): self.init(403, why)
        case .notFound(let message): self.init(404, message)
        case .conflict(let problems): self.init(409, problems.first ?? "conflict", errors: problems)
        case .invalid(let problems): self.init(400, problems.first ?? "invalid request", errors: problems)
        case .store:
            // The routes answer the store's failures themselves (`ServiceRoutes.problem`):
            // their details name paths of the server's disk and stay in its log.
            self.init(500, "the store failed to answer")
        case .config(let diagnostics, let files):
            let renderer = DiagnosticRenderer(files: files, colors: false)
            let messages = diagnostics.filter { $0.severity == .error }.map { renderer.render($0) }
            self.init(400, messages.first ?? "the config does not compile", errors: messages)
        }
    }

    static func title(_ status: Int) -> String {
        switch status {
        case 400: return "Bad Request"
        case 401: return "Unauthorized"
        case 403: return "Forbidden"
        case 404: return "Not Found"
        case 405: return "Method Not Allowed"
        case 409: return "Conflict"
        case 412: return "Precondition Failed"
        case 413: return "Content Too Large"
        case 503: return "Service Unavailable"
        default: return "Internal Server Error"
        }
    }

    /// The problem document.
    var json: JSONValue {
        var members: [(String, JSONValue)] = [
            ("type", .string("about:blank")), ("title", .string(Self.title(status))),
            ("status", .number(String(status))), ("detail", .string(detail)),
        ]
        if errors.count > 1 { members.append(("errors", .array(errors.map(JSONValue.string)))) }
        return .object(members)
    }
}
