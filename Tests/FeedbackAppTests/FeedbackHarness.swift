import Contracts
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import PostgresNIO
import ServiceKit
import TestSupport
import Testing

@testable import FeedbackApp

/// The feedback service against an isolated database and stream, with tokens for the people of two
/// organizations, plus helpers to call it, age submissions and read the events it published.
struct FeedbackHarness: ServiceHarness {
    let environment: IsolatedEnvironment
    let client: any TestClientProtocol
    let organization = UUID()
    let otherOrganization = UUID()
    let admin = UUID()
    let manager = UUID()
    let secondManager = UUID()
    let otherAdmin = UUID()

    static func with(_ body: @Sendable (FeedbackHarness) async throws -> Void) async throws {
        try await TestService.run(
            FeedbackService.name,
            overrides: { _ in ["OUTBOX_POLL_INTERVAL": "20ms"] },
            build: buildApplication
        ) {
            environment,
            client in
            try await body(FeedbackHarness(environment: environment, client: client))
        }
    }

    // MARK: - People

    /// A bearer header value for `user` with `role` in `organization` (the harness's first one by default).
    func token(_ user: UUID, role: Role, organization: UUID? = nil) async throws -> String {
        try await TestTokens.bearer(user: user, role: role, organization: organization ?? self.organization)
    }

    var adminToken: String { get async throws { try await token(admin, role: .admin) } }
    var managerToken: String { get async throws { try await token(manager, role: .manager) } }
    var otherAdminToken: String {
        get async throws { try await token(otherAdmin, role: .admin, organization: otherOrganization) }
    }

    /// Submits feedback, optionally with an `Idempotency-Key`, and returns the raw response.
    func submit(
        _ submission: FeedbackSubmission,
        token: String,
        idempotencyKey: String? = nil,
        userAgent: String? = "FeedbackTests/1.0"
    ) async throws -> TestResponse {
        var headers: HTTPFields = [:]
        if let idempotencyKey { headers[Self.idempotencyKey] = idempotencyKey }
        if let userAgent { headers[.userAgent] = userAgent }
        return try await call(.post, "/api/feedback", body: submission, token: token, headers: headers)
    }

    /// Submits `message` and expects a new submission (201).
    @discardableResult
    func create(
        _ message: String,
        category: FeedbackCategory = .bug,
        token: String
    ) async throws -> FeedbackItem {
        let response = try await submit(FeedbackSubmission(message: message, category: category), token: token)
        #expect(response.status == .created, "\(response.text)")
        return try response.decode(FeedbackItem.self)
    }

    /// Reviews submission `id` with a raw JSON body.
    func review(_ id: UUID, _ json: String, token: String) async throws -> TestResponse {
        try await call(.patch, "/api/admin/feedback/\(id)", json: json, token: token)
    }

    /// The admin list with `query` (starting with `?`, or empty), expected to succeed.
    func adminList(_ query: String = "", token: String) async throws -> ListPage<FeedbackItem> {
        let response = try await call(.get, "/api/admin/feedback" + query, token: token)
        #expect(response.status == .ok, "\(query): \(response.text)")
        return try response.decode(ListPage<FeedbackItem>.self)
    }

    static let idempotencyKey = HTTPField.Name("Idempotency-Key")!

    // MARK: - Database

    /// Moves submission `id`'s creation time `seconds` into the past, as if it had been sent then.
    func age(_ id: UUID, by seconds: Int) async throws {
        try await environment.withDatabase { database in
            try await database.withConnection { connection in
                try await connection.query(
                    """
                    UPDATE feedback.submissions
                    SET created_at = created_at - \(Double(seconds)) * interval '1 second'
                    WHERE id = \(id)
                    """,
                    logger: TestInfrastructure.logger("feedback")
                )
                return ()
            }
        }
    }

    /// How many submissions the database holds.
    func storedSubmissions() async throws -> Int {
        try await environment.withDatabase { database in
            try await database.withConnection { connection in
                let rows = try await connection.query(
                    "SELECT count(*)::int FROM feedback.submissions",
                    logger: TestInfrastructure.logger("feedback")
                )
                var count = 0
                for try await value in rows.decode(Int.self) { count = value }
                return count
            }
        }
    }

    // MARK: - Events

    /// Every event the service has published so far.
    func events() async throws -> [EventEnvelope] {
        try await TestInfrastructure.withRedis { redis in
            try await redis.streamRange(environment.stream).compactMap { entry in
                guard let body = entry[field: "envelope"] else { return nil }
                return try ContractJSON.makeDecoder().decode(EventEnvelope.self, from: Data(String(buffer: body).utf8))
            }
        }
    }

    /// Waits until `count` events of `type` have been published and returns them, oldest first.
    @discardableResult
    func events(_ type: String, count: Int) async throws -> [EventEnvelope] {
        var found: [EventEnvelope] = []
        try await eventually("\(count) \(type) events") {
            found = try await events().filter { $0.type == type }
            return found.count >= count
        }
        return found
    }
}
