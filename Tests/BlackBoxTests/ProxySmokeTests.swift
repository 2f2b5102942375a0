import Contracts
import Foundation
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Drives the running system through nginx, as the web frontend does. `compose/local/test` starts the
/// system and sets `PROXY_URL`; run alone, these tests need `compose/local/up` and `PROXY_URL`.
@Suite("Black box: the system through the proxy")
struct ProxySmokeTests {
    static var proxy: URL {
        get throws {
            guard let text = ProcessInfo.processInfo.environment["PROXY_URL"], let url = URL(string: text) else {
                throw SystemNotRunning()
            }
            return url
        }
    }

    struct SystemNotRunning: Error, CustomStringConvertible {
        var description: String {
            "PROXY_URL is not set: run compose/local/test, or compose/local/up --detach and PROXY_URL=http://127.0.0.1:8080"
        }
    }

    static func get(_ path: String, headers: [String: String] = [:]) async throws -> (HTTPURLResponse, Data) {
        var request = URLRequest(url: try proxy.appendingPathComponent(path))
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        let (data, response) = try await URLSession.shared.data(for: request)
        return (try #require(response as? HTTPURLResponse), data)
    }

    @Test(
        "every service is ready behind the proxy",
        arguments: ["users", "rates", "activity", "feedback", "dashboard"]
    )
    func serviceReady(service: String) async throws {
        let (response, data) = try await Self.get("health/\(service)")
        #expect(response.statusCode == 200)
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
            #expect(response.statusCode == 404 || response.statusCode == 401, "\(path)")
            #expect(response.value(forHTTPHeaderField: "Content-Type") == Problem.mediaType, "\(path)")
            let problem = try ContractJSON.makeDecoder().decode(Problem.self, from: data)
            #expect(problem.requestID == "smoke-\(path.count)", "\(path): the request id reaches the service")
        }
    }

    @Test("a path no service owns is a 404 problem from the proxy")
    func unknownPath() async throws {
        let (response, data) = try await Self.get("nothing/here")
        #expect(response.statusCode == 404)
        #expect(try ContractJSON.makeDecoder().decode(Problem.self, from: data).status == 404)
    }
}
