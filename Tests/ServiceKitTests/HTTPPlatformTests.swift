import Contracts
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import ServiceKit
import TestSupport
import Testing

/// The platform's HTTP behaviour, driven through a real application built by ``ServicePlatform`` with a few
/// routes that fail in each way a handler can.
@Suite("HTTP platform: problems, auth, limits, health")
struct HTTPPlatformTests {
    struct Echo: ResponseCodable, Equatable {
        var name: String
        var count: Int
    }

    struct LeakyError: Error, CustomStringConvertible {
        var description: String { "connection string postgres://admin:hunter2@db" }
    }

    static func makeApplication() async throws -> some ApplicationProtocol {
        let configuration = try TestInfrastructure.configuration(
            service: "kit",
            ["HTTP_REQUEST_TIMEOUT": "1s", "HTTP_MAX_BODY_SIZE": "2048"]
        )
        let platform = try await ServicePlatform(configuration: configuration, logger: TestInfrastructure.logger("kit"))
        let router = try platform.makeRouter()
        router.post("/echo") { request, context -> Echo in
            try await request.decode(as: Echo.self, context: context)
        }
        router.get("/me") { _, context -> String in
            try context.requireIdentity().email
        }
        router.get("/admin") { _, context -> String in
            try context.requireRole(.admin).email
        }
        router.get("/validation") { _, _ -> String in
            throw APIError.validation([FieldError(field: "email", message: "must be an email address")])
        }
        router.get("/conflict") { _, _ -> String in
            throw APIError.conflict("that email is taken")
        }
        router.get("/crash") { _, _ -> String in
            throw LeakyError()
        }
        router.get("/slow") { _, _ -> String in
            try await Task.sleep(for: .seconds(60))
            return "late"
        }
        router.get("/stubborn") { _, _ -> String in
            // Waits for work that does not stop when the request is cancelled.
            await Task.detached { try? await Task.sleep(for: .seconds(8)) }.value
            return "late"
        }
        router.delete("/items/{id}") { _, _ -> HTTPResponse.Status in .noContent }
        router.get("/stream") { _, _ -> Response in
            Response(
                status: .ok,
                body: ResponseBody { writer in
                    try await writer.write(ByteBuffer(string: "first "))
                    try await Task.sleep(for: .milliseconds(300))
                    try await writer.write(ByteBuffer(string: "last"))
                    try await writer.finish(nil)
                }
            )
        }
        return try platform.makeApplication(router: router, schema: "servicekit_tests", migrations: [])
    }

    static func problem(_ response: TestResponse) throws -> Problem {
        #expect(response.headers[.contentType] == Problem.mediaType)
        let problem = try response.decode(Problem.self)
        #expect(problem.status == Int(response.status.code))
        #expect(problem.requestID != nil)
        #expect(problem.requestID == response.headers[.requestID])
        return problem
    }

    static let managerToken = AccessTokenVerifierTests.identity

    @Test("malformed JSON is a 400 problem")
    func malformedJSON() async throws {
        try await Self.makeApplication().test(.router) { client in
            try await client.execute(uri: "/echo", method: .post, body: ByteBuffer(string: "{not json")) { response in
                #expect(response.status == .badRequest)
                let problem = try Self.problem(response)
                #expect(problem.detail == "the body is not valid JSON")
            }
            try await client.execute(
                uri: "/echo",
                method: .post,
                body: ByteBuffer(string: #"{"name":"a","count":"x"}"#)
            ) { response in
                #expect(response.status == .badRequest)
                let problem = try Self.problem(response)
                #expect(problem.detail == "count must be an integer")
            }
            try await client.execute(uri: "/echo", method: .post, body: ByteBuffer(string: #"{"name":"a"}"#)) {
                response in
                let problem = try Self.problem(response)
                #expect(problem.detail == "count is required")
            }
            try await client.execute(uri: "/echo", method: .post, body: ByteBuffer(string: #"{"name":"a","count":2}"#))
            { response in
                #expect(response.status == .ok)
                let echo = try response.decode(Echo.self)
                #expect(echo == Echo(name: "a", count: 2))
            }
        }
    }

    @Test("no token, a bad token: 401 with WWW-Authenticate; wrong role: 403")
    func authentication() async throws {
        let manager = try await TestTokens.bearer(
            Identity(userID: UUID(), organizationID: UUID(), role: .manager, email: "m@x.ru")
        )
        let admin = try await TestTokens.bearer(
            Identity(userID: UUID(), organizationID: UUID(), role: .admin, email: "a@x.ru")
        )
        try await Self.makeApplication().test(.router) { client in
            try await client.execute(uri: "/me", method: .get) { response in
                #expect(response.status == .unauthorized)
                #expect(response.headers[.wwwAuthenticate]?.hasPrefix("Bearer") == true)
                _ = try Self.problem(response)
            }
            try await client.execute(uri: "/me", method: .get, headers: .authorized("Bearer not.a.token")) { response in
                #expect(response.status == .unauthorized)
            }
            try await client.execute(uri: "/me", method: .get, headers: .authorized("Basic dXNlcjpwYXNz")) { response in
                #expect(response.status == .unauthorized)
            }
            try await client.execute(uri: "/me", method: .get, headers: .authorized(manager)) { response in
                #expect(response.status == .ok)
                #expect(response.text == "m@x.ru")
            }
            try await client.execute(uri: "/admin", method: .get, headers: .authorized(manager)) { response in
                #expect(response.status == .forbidden)
                _ = try Self.problem(response)
            }
            try await client.execute(uri: "/admin", method: .get, headers: .authorized(admin)) { response in
                #expect(response.status == .ok)
            }
        }
    }

    @Test("unknown route 404, wrong method 405 with Allow")
    func routing() async throws {
        try await Self.makeApplication().test(.router) { client in
            try await client.execute(uri: "/nowhere", method: .get) { response in
                #expect(response.status == .notFound)
                let problem = try Self.problem(response)
                #expect(problem.detail == "no route for GET /nowhere")
            }
            try await client.execute(uri: "/echo", method: .get) { response in
                #expect(response.status == .methodNotAllowed)
                #expect(response.headers[.allow] == "POST")
                _ = try Self.problem(response)
            }
            try await client.execute(uri: "/items/42", method: .put) { response in
                #expect(response.status == .methodNotAllowed)
                #expect(response.headers[.allow] == "DELETE")
            }
            try await client.execute(uri: "/items/42", method: .delete) { response in
                #expect(response.status == .noContent)
            }
        }
    }

    @Test("a body over the limit is 413, declared or streamed")
    func bodyLimit() async throws {
        let large = ByteBuffer(repeating: UInt8(ascii: "a"), count: 4096)
        try await Self.makeApplication().test(.router) { client in
            try await client.execute(uri: "/echo", method: .post, headers: [.contentLength: "4096"], body: large) {
                response in
                #expect(response.status == .contentTooLarge)
                let problem = try Self.problem(response)
                #expect(problem.detail == "the body is larger than 2048 bytes")
            }
            try await client.execute(uri: "/echo", method: .post, body: large) { response in
                #expect(response.status == .contentTooLarge)
            }
        }
    }

    @Test("validation failures are 422 with every field; conflicts 409")
    func validationAndConflict() async throws {
        try await Self.makeApplication().test(.router) { client in
            try await client.execute(uri: "/validation", method: .get) { response in
                #expect(response.status == .unprocessableContent)
                let problem = try Self.problem(response)
                #expect(problem.type == ProblemType.validation)
                #expect(problem.errors == [FieldError(field: "email", message: "must be an email address")])
            }
            try await client.execute(uri: "/conflict", method: .get) { response in
                #expect(response.status == .conflict)
                let problem = try Self.problem(response)
                #expect(problem.detail == "that email is taken")
            }
        }
    }

    @Test("an unexpected error is a 500 that leaks nothing")
    func internalError() async throws {
        try await Self.makeApplication().test(.router) { client in
            try await client.execute(uri: "/crash", method: .get) { response in
                #expect(response.status == .internalServerError)
                _ = try Self.problem(response)
                #expect(!response.text.contains("hunter2"))
                #expect(!response.text.contains("postgres"))
            }
        }
    }

    @Test("a request past the timeout is abandoned with a 503 and Retry-After")
    func timeout() async throws {
        try await Self.makeApplication().test(.live) { client in
            let started = ContinuousClock.now
            try await client.execute(uri: "/slow", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
                #expect(response.headers[.retryAfter] != nil)
                _ = try Self.problem(response)
            }
            #expect(
                ContinuousClock.now - started < .seconds(30),
                "abandoned at the 1 s timeout, not after the handler's 60 s"
            )
        }
    }

    @Test("a handler that ignores cancellation still gets its 503 at the timeout, and the connection closes")
    func timeoutWithoutCooperation() async throws {
        try await Self.makeApplication().test(.live) { client in
            let started = ContinuousClock.now
            try await client.execute(uri: "/stubborn", method: .get, headers: [.requestID: "stubborn-1"]) {
                response in
                #expect(response.status == .serviceUnavailable)
                #expect(response.headers[.retryAfter] == "1")
                #expect(response.headers[.connection] == "close")
                #expect(response.headers[.requestID] == "stubborn-1")
                let problem = try Self.problem(response)
                #expect(problem.detail?.contains("abandoned") == true)
            }
            #expect(ContinuousClock.now - started < .seconds(6), "answered at the 1 s timeout, not after 8 s")
        }
    }

    @Test("X-Request-ID is accepted when well-formed, replaced otherwise, and always echoed")
    func requestID() async throws {
        try await Self.makeApplication().test(.router) { client in
            try await client.execute(uri: "/nowhere", method: .get, headers: [.requestID: "abc-123.X_y"]) { response in
                #expect(response.headers[.requestID] == "abc-123.X_y")
                let problem = try Self.problem(response)
                #expect(problem.requestID == "abc-123.X_y")
            }
            for bad in ["bad id; drop table", "short-1", String(repeating: "a", count: 65), "id-with-ünïcode"] {
                try await client.execute(uri: "/nowhere", method: .get, headers: [.requestID: bad]) { response in
                    let id = try #require(response.headers[.requestID])
                    #expect(id != bad)
                    #expect(UUID(uuidString: id) != nil)
                }
            }
        }
    }

    @Test("generated request ids are distinct lowercase version 4 UUIDs")
    func generatedRequestIDs() {
        let ids = (0..<10_000).map { _ in RequestID.resolve(nil) }
        #expect(Set(ids).count == ids.count)
        for id in ids.prefix(100) {
            let uuid = UUID(uuidString: id)
            #expect(uuid != nil && id == uuid?.wireString)
            #expect(Array(id)[14] == "4", "version 4")
            #expect("89ab".contains(Array(id)[19]), "RFC 4122 variant")
        }
    }

    @Test("health and metrics answer without a token; readiness sees Postgres, Redis and the revocations")
    func health() async throws {
        try await Self.makeApplication().test(.router) { client in
            try await client.execute(uri: "/health/live", method: .get) { response in
                #expect(response.status == .ok)
            }
            // Ready once the revocations are read, which happens beside the first requests.
            try await eventually("the service reports ready") {
                try await client.execute(uri: "/health/ready", method: .get) { $0.status == .ok }
            }
            try await client.execute(uri: "/health/ready", method: .get) { response in
                let readiness = try response.decode(Readiness.self)
                #expect(readiness.checks == ["postgres": "ok", "redis": "ok", "revocations": "ok"])
            }
            try await client.execute(uri: "/echo", method: .get) { _ in }
            try await client.execute(uri: "/stream", method: .get) { #expect($0.text == "first last") }
            try await client.execute(uri: "/metrics", method: .get) { response in
                #expect(response.status == .ok)
                let text = response.text
                let bytes = Array(text.utf8)
                #expect(text.contains(#"http_requests_total{method="GET",route="/echo",status="405"}"#))
                #expect(text.contains("http_request_duration_seconds_bucket"))
                #expect(text.contains("process_resident_memory_bytes"))
                #expect(!text.contains("/health/live"))
                #expect(metric(bytes, "service_ready") == 1)
                #expect(metric(bytes, "build_info", #"version="unknown",revision="unknown""#) == 1)
                #expect(metric(bytes, "postgres_pool_connections", #"state="max""#) == 8)
                let streamed = #"method="GET",route="/stream",status="200""#
                #expect(metric(bytes, "http_request_duration_seconds_count", streamed) == 1)
                #expect(
                    (metric(bytes, "http_request_duration_seconds_sum", streamed) ?? 0) >= 0.3,
                    "a streamed body is timed to its last byte"
                )
            }
        }
    }

    @Test("readiness reports an unreachable dependency with 503")
    func notReady() async throws {
        let probe = ReadinessProbe(
            service: "kit",
            checks: [ReadinessCheck("redis") { throw RedisError.connectionFailed("refused") }],
            timeout: .milliseconds(200)
        )
        let readiness = await probe.readiness()
        #expect(readiness.status == "unavailable")
        #expect(readiness.checks["redis"]?.contains("refused") == true)
    }
}
