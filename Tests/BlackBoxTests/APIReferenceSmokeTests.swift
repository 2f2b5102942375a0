import Contracts
import Foundation
import Testing

/// The API reference the proxy serves: one document for all five services, and a page made from it.
@Suite("Black box: the API reference through the proxy")
struct APIReferenceSmokeTests {
    /// One operation of each service, as `METHOD path`.
    static let samples = [
        ("post", "/api/auth/login"), ("get", "/api/exchange-rates/convert"), ("post", "/api/activity/events"),
        ("patch", "/api/admin/feedback/{id}"), ("get", "/api/dashboard/stats"),
    ]

    @Test("GET /api/openapi.json merges every service's document, without the replicas' own routes")
    func mergedDocument() async throws {
        let answer = try await Proxy.send("GET", "api/openapi.json")
        #expect(answer.status == 200)
        #expect(answer.headers["content-type"]?.hasPrefix("application/json") == true)
        let document = try answer.decode(JSONValue.self)
        #expect(document["openapi"] == "3.1.0")
        let paths = try #require(document["paths"]?.object)
        for (method, path) in Self.samples {
            #expect(paths[path]?[method]?["operationId"]?.string != nil, "\(method) \(path)")
        }
        #expect(paths["/health/live"] == nil && paths["/openapi.json"] == nil)
        #expect(paths.keys.allSatisfy { $0.hasPrefix("/api/") })
        #expect(document["components"]?["schemas"]?["EventEnvelope"] != nil)
        #expect(
            paths["/api/activity/events"]?["post"]?["security"] == [["ingestionKey": []]],
            "ingestion keeps its own credentials in the merged document"
        )
    }

    @Test("GET /api/docs is an HTML page naming every operation, under a strict content security policy")
    func referencePage() async throws {
        let answer = try await Proxy.send("GET", "api/docs")
        #expect(answer.status == 200)
        #expect(answer.headers["content-type"]?.hasPrefix("text/html") == true)
        #expect(answer.headers["content-security-policy"]?.contains("default-src 'none'") == true)
        #expect(answer.headers["x-request-id"] != nil)
        for (method, path) in Self.samples {
            #expect(answer.text.contains("\(method.uppercased()) \(path)"), "\(method) \(path)")
        }
        #expect(!answer.text.contains("<script"))
    }
}
