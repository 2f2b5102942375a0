import Contracts
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import NIOFoundationEssentialsCompat
import PostgresNIO
import ServiceKit
import TestSupport
import Testing

@testable import ActivityApp

/// Builds the activity service against an isolated database and stream, with fast flush and polling, and
/// signs tokens for the people of two organizations.
struct ActivityHarness: Sendable {
    let environment: IsolatedEnvironment
    let organization = UUID()
    let otherOrganization = UUID()
    let admin = UUID()
    let manager = UUID()
    let otherManager = UUID()
    /// The quoting core's key, and a key of another outside system (a CRM that sends `deal.*` only).
    static let ingestKey = "test-ingest-key-0123456789"
    static let crmKey = "test-crm-key:with-colons-0123"
    static let ingestKeys = "quoting-core:quote.*|customer.*:\(ingestKey), crm:deal.*:\(crmKey)"

    static func with(_ body: @Sendable (ActivityHarness, any TestClientProtocol) async throws -> Void) async throws {
        let overrides = [
            "ACTIVITY_FLUSH_INTERVAL": "20ms", "OUTBOX_POLL_INTERVAL": "20ms", "ACTIVITY_INGEST_KEYS": ingestKeys,
            "ACTIVITY_RETENTION_INTERVAL": "1h",
        ]
        try await TestService.run(
            ActivityService.name,
            overrides: { _ in overrides },
            build: { try await buildApplication(configuration: $0, logger: $1) }
        ) {
            environment,
            client in
            try await body(ActivityHarness(environment: environment), client)
        }
    }

    func token(_ user: UUID, role: Role, organization: UUID? = nil) async throws -> String {
        try await TestTokens.bearer(user: user, role: role, organization: organization ?? self.organization)
    }

    func envelope(
        type: String = "quote.created",
        action: EventAction = .create,
        actor: UUID? = nil,
        organization: UUID? = nil,
        resourceType: String = "quote",
        resourceID: String? = "Q-1",
        occurredAt: Date = Date(),
        payload: JSONValue = ["total_amount": "1500.00"]
    ) -> EventEnvelope {
        EventEnvelope(
            type: type,
            occurredAt: occurredAt,
            source: EventSource(service: "quoting-core", instance: "core-1"),
            organizationID: organization ?? self.organization,
            actor: EventActor(userID: actor ?? manager, email: "m@example.ru", ip: "10.0.0.7", userAgent: "core/1.0"),
            requestID: "req-1",
            resource: EventResource(type: resourceType, id: resourceID),
            action: action,
            payload: payload
        )
    }

    /// Posts `body` to the ingestion endpoint and returns the response.
    func ingest(
        _ client: some TestClientProtocol,
        json body: Data,
        key: String? = ingestKey
    ) async throws -> TestResponse {
        var headers: HTTPFields = [.contentType: "application/json"]
        if let key { headers[.apiKey] = key }
        return try await client.execute(
            uri: "/api/activity/events",
            method: .post,
            headers: headers,
            body: ByteBuffer(data: body)
        )
    }

    /// Ingests `envelopes` and waits until the log shows all of them to an admin of `organization`.
    func record(_ client: some TestClientProtocol, _ envelopes: [EventEnvelope]) async throws {
        let response = try await ingest(client, json: try ContractJSON.makeEncoder().encode(envelopes))
        #expect(response.status == .accepted, "\(response.text)")
        let ids = Set(envelopes.map(\.id))
        let organizations = Set(envelopes.compactMap(\.organizationID))
        for organization in organizations {
            let token = try await self.token(admin, role: .admin, organization: organization)
            let expected = envelopes.filter { $0.organizationID == organization }.count
            try await eventually("ingested events are recorded") {
                let page = try await list(client, "?per_page=100", token: token)
                return page.items.filter { ids.contains($0.id) }.count >= min(expected, 100)
            }
        }
    }

    /// What ingestion left behind anywhere: rows in activity's outbox, entries in the event stream, and
    /// recorded activity entries.
    func stored() async throws -> (outbox: Int, stream: Int, entries: Int) {
        let rows = try await environment.withDatabase { database in
            try await database.withConnection { connection in
                let rows = try await connection.query(
                    "SELECT (SELECT count(*) FROM activity.outbox)::int, (SELECT count(*) FROM activity.entries)::int",
                    logger: TestInfrastructure.logger("test")
                )
                for try await (outbox, entries) in rows.decode((Int, Int).self) { return (outbox, entries) }
                return (0, 0)
            }
        }
        let stream = try await TestInfrastructure.withRedis { redis in
            try await redis.streamLength(environment.stream)
        }
        return (rows.0, stream, rows.1)
    }

    /// Ingests one envelope the key may send and waits until it is recorded: whatever was posted before it
    /// has been through the outbox and the stream by then.
    func barrier(_ client: some TestClientProtocol) async throws {
        try await record(client, [envelope()])
    }

    func list(_ client: some TestClientProtocol, _ query: String, token: String) async throws -> ListPage<ActivityEntry>
    {
        try await client.execute(uri: "/api/activity-logs" + query, method: .get, headers: .authorized(token)) {
            response in
            #expect(response.status == .ok, "\(response.text)")
            return try response.decode(ListPage<ActivityEntry>.self)
        }
    }
}

extension ActivityEntryStore {
    /// Runs `body` with a store over a fresh database of its own with the activity schema, for tests that
    /// need the table but not the running service.
    static func withMigrated(
        _ body: @Sendable (ActivityEntryStore, Database, IsolatedEnvironment) async throws -> Void
    ) async throws {
        try await IsolatedEnvironment.with { environment in
            try await environment.withDatabase { database in
                try await MigrationRunner(schema: ActivityMigrations.schema, migrations: ActivityMigrations.all)
                    .run(on: database, logger: TestInfrastructure.logger("test"))
                try await body(
                    ActivityEntryStore(logger: TestInfrastructure.logger("store")),
                    database,
                    environment
                )
            }
        }
    }
}
