import Contracts
import Foundation
import NIOCore
import NIOFoundationEssentialsCompat
import PostgresNIO
import ServiceKit
import TestSupport
import Testing

@testable import ActivityApp

@Suite("Recording stream events as activity entries")
struct RecordingTests {
    /// Envelopes as services and outside systems write them: absent, null and empty fields, other offsets,
    /// Cyrillic text, payloads of every shape.
    static func envelopes(organization: UUID) -> [String] {
        let id = { UUID().uuidString }
        return [
            #"{"id":"\#(id())","type":"quote.created","version":1,"occurred_at":"2026-04-25T10:00:00.123Z","source":{"service":"core","instance":"core-1"},"organization_id":"\#(organization)","actor":{"user_id":"00000000-0000-4000-8000-000000000003","email":"мария@example.ru","ip":"10.0.0.1","user_agent":"Mozilla/5.0"},"request_id":"req-1","resource":{"type":"quote","id":"Q-1"},"action":"create","payload":{"note":"Коммерческое \"предложение\"","total":-12.5e2}}"#,
            #"{"payload":null,"action":"other","resource":{"type":"customer","id":null},"source":{"service":"crm","instance":null},"occurred_at":"2030-12-31T23:59:59.999999+03:00","version":2,"type":"customer.merged","id":"\#(id())","organization_id":"\#(organization)","actor":null,"request_id":null}"#,
            #"{"id":"\#(id())","type":"rates.updated","version":1,"occurred_at":"2026-02-28T00:00:00.5-05:30","source":{"service":""},"organization_id":"\#(organization)","resource":{"type":"rate","id":""},"action":"update","payload":[1,{"a":[]}],"actor":{"email":"","future":1}}"#,
        ]
    }

    @Test("an entry is recorded only when its origin owns its type; others are dead-lettered with the reason")
    func ownership() async throws {
        try await ActivityHarness.with { harness, client in
            func add(_ type: String, origin: String?) async throws -> UUID {
                var envelope = harness.envelope(type: type, resourceType: "thing")
                envelope.source = EventSource(service: origin ?? "nobody", instance: nil)
                let body = try ContractJSON.makeEncoder().encode(envelope)
                let id = envelope.id
                _ = try await TestInfrastructure.withRedis { redis in
                    try await redis.streamAdd(
                        harness.environment.stream,
                        fields: [
                            StreamField("id", id.wireString), StreamField("type", type),
                            origin.map { StreamField("origin", $0) }, StreamField("envelope", ByteBuffer(data: body)),
                        ].compactMap { $0 }
                    )
                }
                return id
            }
            let recorded = [
                try await add("users.role_changed", origin: "users"),
                try await add("quote.created", origin: "activity"),
            ]
            _ = try await add("users.role_changed", origin: "activity")
            _ = try await add("quote.created", origin: "rates")
            _ = try await add("organizations.updated", origin: nil)
            let admin = try await harness.token(harness.admin, role: .admin)
            try await eventually("the owned events are recorded") {
                try await harness.list(client, "", token: admin).total == 2
            }
            try await eventually("the others are dead-lettered") {
                try await TestInfrastructure.withRedis { redis in
                    try await redis.streamLength(harness.environment.deadLetterStream) == 3
                }
            }
            try await Task.sleep(for: .milliseconds(200))
            #expect(Set(try await harness.list(client, "", token: admin).items.map(\.id)) == Set(recorded))
            let reasons = try await TestInfrastructure.withRedis { redis in
                try await redis.streamRange(harness.environment.deadLetterStream).compactMap {
                    $0[field: "reason"].map { String(buffer: $0) }
                }
            }
            #expect(
                reasons.sorted() == [
                    "quote.created was published by rates, but only the activity service's relay may publish it",
                    "the entry has no origin; organizations.updated is applied only when published by the users "
                        + "service's relay",
                    "users.role_changed was published by activity, but only the users service's relay may publish it",
                ]
            )
        }
    }

    @Test("a batch is recorded whole and once, unusual envelopes (escapes, nulls, unknown members) included")
    func unusualBatch() async throws {
        try await ActivityEntryStore.withMigrated { store, database, environment in
            let organization = UUID()
            var bodies = Self.envelopes(organization: organization)
            // An escape Postgres' JSON reader resolves.
            bodies[0] = bodies[0].replacingOccurrences(of: #""req-1""#, with: #""req\u002d1""#)
            let events = bodies.enumerated().map { index, body in
                ConsumedEvent(entryID: "1-\(index)", body: ByteBuffer(string: body))
            }
            let handler = ActivityEventHandler(database: database, store: store)
            try await handler.apply(events)
            try await handler.apply(events)
            let requestIDs = try await database.withConnection { connection in
                var ids: [String?] = []
                let query: PostgresQuery =
                    "SELECT request_id FROM activity.entries WHERE organization_id = \(organization) ORDER BY occurred_at"
                for try await id in try await connection.query(query, logger: TestInfrastructure.logger("t"))
                    .decode(String?.self)
                {
                    ids.append(id)
                }
                return ids
            }
            #expect(requestIDs == [nil, "req-1", nil], "each event once, though delivered twice")
        }
    }
}
