import ArgumentParser
import Dispatch
import Hummingbird

/// The floor the service is measured against (../shared/bench/http): a bare
/// Hummingbird route that decodes one decision request with Codable and encodes a
/// fixed answer. Run it beside `clientele serve` and load both with wrk in the same
/// sitting (Benchmarks/service-bench.sh).
struct HTTPFloor: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "http-floor", abstract: "Serve the bare Hummingbird decision route of ../shared/bench/http.")

    @Option(help: "The loopback port.") var port = 18081

    struct Req: Decodable {
        let user: String
        let action: String
        let customer: String
    }
    struct Body: Decodable { let requests: [Req] }
    struct Decision: ResponseEncodable {
        let allowed: Bool
        let rule: String?
    }
    struct Out: ResponseEncodable { let decisions: [Decision] }

    func run() throws {
        let router = Router()
        router.post("/v1/decisions") { request, context -> Out in
            let body = try await request.decode(as: Body.self, context: context)
            return Out(
                decisions: body.requests.map { Decision(allowed: $0.user.hasSuffix("1"), rule: "default.owner") })
        }
        let port = self.port
        let done = DispatchSemaphore(value: 0)
        Task {
            let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)))
            try? await app.runService()
            done.signal()
        }
        done.wait()
    }
}
