import Contracts
import Foundation
import Testing

/// Drives the running system through nginx, as the web frontend does. `compose/local/test` starts the
/// system and sets `PROXY_URL`; run alone, these tests need `compose/local/up` and `PROXY_URL`.
@Suite("Black box: the system through the proxy")
struct ProxySmokeTests {
    static func get(_ path: String, headers: [String: String] = [:]) async throws -> (Proxy.Answer, Data) {
        let answer = try await Proxy.send("GET", path, headers: headers)
        return (answer, answer.body)
    }

    @Test(
        "every service is ready behind the proxy",
        arguments: ["users", "rates", "activity", "feedback", "dashboard"]
    )
    func serviceReady(service: String) async throws {
        let (response, data) = try await Self.get("health/\(service)")
        #expect(response.status == 200)
        let readiness = try ContractJSON.makeDecoder().decode(Readiness.self, from: data)
        #expect(readiness.service == service)
        #expect(readiness.status == "ok")
    }

    @Test("each API prefix reaches its service, which answers unknown routes with a problem")
    func prefixesRouted() async throws {
        for path in [
            "api/auth/nope", "api/exchange-rates/nope/nope", "api/activity-logs/a/b/c", "api/feedback/x/y/z",
            "api/dashboard/nope",
        ] {
            let (response, data) = try await Self.get(path, headers: ["X-Request-ID": "smoke-\(path.count)"])
            #expect(response.status == 404 || response.status == 401, "\(path)")
            #expect(response.headers["content-type"] == Problem.mediaType, "\(path)")
            let problem = try ContractJSON.makeDecoder().decode(Problem.self, from: data)
            #expect(problem.requestID == "smoke-\(path.count)", "\(path): the request id reaches the service")
        }
    }

    @Test("a path no service owns is a 404 problem from the proxy")
    func unknownPath() async throws {
        let (response, data) = try await Self.get("nothing/here")
        #expect(response.status == 404)
        #expect(try ContractJSON.makeDecoder().decode(Problem.self, from: data).status == 404)
    }
}
