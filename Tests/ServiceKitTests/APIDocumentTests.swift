import Contracts
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import NIOFoundationEssentialsCompat
import ServiceKit
import TestSupport
import Testing

/// A service's OpenAPI document: assembled with the platform's shared parts, served at `/openapi.json`, and
/// checked against the routes both ways before the application may start.
@Suite("OpenAPI document: assembly, serving, drift")
struct APIDocumentTests {
    /// A service document with one operation with a body and one that lists its own 401.
    static let service = Array(
        #"""
        {"openapi":"3.1.0","info":{"title":"Things service","version":"1"},"security":[{"bearer":[]}],
         "paths":{
           "/api/things":{"post":{"operationId":"createThing","requestBody":{"content":{"application/json":
             {"schema":{"$ref":"#/components/schemas/Thing"}}}},"responses":{"201":{"description":"created"}}}},
           "/api/things/{id}":{"get":{"operationId":"getThing","parameters":[{"$ref":"#/components/parameters/IdPath"}],
             "responses":{"200":{"description":"the thing"},"401":{"description":"its own"}}}}},
         "components":{"schemas":{"Thing":{"type":"object","properties":{"total":{"$ref":"#/components/schemas/Decimal"}}}}}}
        """#.utf8
    )

    /// A platform describing its API with ``service``, and its router with `POST /api/things` and the route
    /// `route` adds.
    static func platform(
        _ route: (Router<ServiceRequestContext>) -> Void
    ) async throws -> (ServicePlatform, Router<ServiceRequestContext>) {
        let platform = try await ServicePlatform(
            configuration: try TestInfrastructure.configuration(service: "kit"),
            logger: TestInfrastructure.logger("kit"),
            openAPI: Self.service
        )
        let router = try platform.makeRouter()
        router.post("/api/things") { _, _ in HTTPResponse.Status.created }
        route(router)
        return (platform, router)
    }

    @Test("the platform's components, the event schemas and the operational paths are merged in")
    func assembly() throws {
        let document = try APIDocument(service: Self.service)
        let schemas = try #require(document.json["components"]?["schemas"]?.object)
        #expect(schemas["Thing"] != nil)
        #expect(schemas["Problem"] != nil)
        #expect(schemas["EventEnvelope"]?["$id"] == "urn:quoting:schema:event-envelope:1")
        #expect(schemas["QuoteEventPayload"] != nil)
        #expect(document.json["components"]?["securitySchemes"]?["bearer"] != nil)
        #expect(
            document.operations == [
                "POST /api/things", "GET /api/things/{id}", "GET /health/live", "GET /health/ready", "GET /metrics",
                "GET /openapi.json",
            ]
        )
    }

    @Test("every /api/ operation gets the platform's answers it does not list; a body adds 400, 413 and 422")
    func platformAnswers() throws {
        let paths = try #require(try APIDocument(service: Self.service).json["paths"])
        let create = try #require(paths["/api/things"]?["post"]?["responses"]?.object)
        #expect(Set(create.keys) == ["201", "400", "401", "413", "422", "429", "500", "503"])
        #expect(create["401"]?["$ref"] == "#/components/responses/Unauthorized")
        let show = try #require(paths["/api/things/{id}"]?["get"]?["responses"]?.object)
        #expect(Set(show.keys) == ["200", "401", "429", "500", "503"])
        #expect(show["401"]?["description"] == "its own")
        let live = try #require(paths["/health/live"]?["get"]?["responses"]?.object)
        #expect(Set(live.keys) == ["200"])
    }

    @Test("a service may not redefine a shared component, and a document must be JSON")
    func redefinition() throws {
        let clash = Array(#"{"openapi":"3.1.0","paths":{},"components":{"schemas":{"Problem":{}}}}"#.utf8)
        #expect(throws: APIDocumentError.self) { try APIDocument(service: clash) }
        #expect(throws: (any Error).self) { try APIDocument(service: Array("not json".utf8)) }
    }

    @Test("drift both ways: a route without an operation, an operation without a route")
    func drift() async throws {
        let (platform, router) = try await Self.platform { router in
            router.delete("/api/things/{id}") { _, _ in HTTPResponse.Status.noContent }
        }
        do {
            _ = try platform.makeApplication(router: router, schema: "servicekit_tests", migrations: [])
            Issue.record("an application whose routes differ from its document was made")
        } catch let drift as APIDocumentDrift {
            #expect(drift.undocumented == ["DELETE /api/things/{id}"])
            #expect(drift.unrouted == ["GET /api/things/{id}"])
            #expect("\(drift)".contains("routes without an operation: DELETE /api/things/{id}"))
        }
    }

    @Test("the assembled document is served at /openapi.json, without a token, limit or request id")
    func served() async throws {
        let (platform, router) = try await Self.platform { router in
            router.get("/api/things/{id}") { _, _ in HTTPResponse.Status.ok }
        }
        let app = try platform.makeApplication(router: router, schema: "servicekit_tests", migrations: [])
        try await app.test(.router) { client in
            try await client.execute(uri: "/openapi.json", method: .get, headers: [.authorization: "Bearer forged"]) {
                response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "application/json")
                #expect(response.headers[.requestID] == nil)
                let served = try ContractJSON.makeDecoder().decode(JSONValue.self, from: Data(buffer: response.body))
                #expect(served == (try APIDocument(service: Self.service).json))
            }
        }
    }
}
