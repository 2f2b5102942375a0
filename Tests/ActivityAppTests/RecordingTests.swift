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

    @Test("the column-by-column insert stores exactly what Postgres reads from the JSON")
    func sameRows() async throws {
        try await ActivityEntryStore.withMigrated { store, database, environment in
            let viaJSON = UUID()
            let viaColumns = UUID()
            let json = Self.envelopes(organization: viaJSON)
            try await database.withConnection { try await store.insert(json: json, on: $0) }
            let scanned = Self.envelopes(organization: viaColumns).map { text in
                ByteBuffer(string: text).withUnsafeReadableBytes(EnvelopeScanner.recordable)
            }
            #expect(scanned.allSatisfy { $0 != nil }, "every envelope here is a usual one")
            let recordable = scanned.compactMap { $0 }
            #expect(try await database.withConnection { try await store.insert(recordable: recordable, on: $0) } == 3)
            #expect(
                try await database.withConnection { try await store.insert(recordable: recordable, on: $0) } == 0,
                "ids already stored"
            )

            func rows(_ organization: UUID) async throws -> [String] {
                try await database.withConnection { connection in
                    var rows: [String] = []
                    let query: PostgresQuery = """
                        SELECT concat_ws('|', occurred_at, actor_id, actor_email, ip, user_agent, action,
                            resource_type, resource_id, event_type, source_service, source_instance, request_id,
                            payload::text, actor_id IS NULL, actor_email IS NULL, resource_id IS NULL,
                            source_instance IS NULL, request_id IS NULL)
                        FROM activity.entries WHERE organization_id = \(organization)
                        ORDER BY occurred_at
                        """
                    for try await row in try await connection.query(query, logger: TestInfrastructure.logger("t"))
                        .decode(String.self)
                    {
                        rows.append(row)
                    }
                    return rows
                }
            }
            let expected = try await rows(viaJSON)
            #expect(expected.count == 3)
            #expect(try await rows(viaColumns) == expected)
        }
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

    @Test("a batch with an unusual envelope is recorded through the JSON path, all of it")
    func unusualBatch() async throws {
        try await ActivityEntryStore.withMigrated { store, database, environment in
            let organization = UUID()
            var bodies = Self.envelopes(organization: organization)
            // An escape in a field the scanner reads: the handler leaves the batch to Postgres' JSON reader.
            bodies[0] = bodies[0].replacingOccurrences(of: #""req-1""#, with: #""req\u002d1""#)
            #expect(ByteBuffer(string: bodies[0]).withUnsafeReadableBytes(EnvelopeScanner.recordable) == nil)
            let events = bodies.enumerated().map { index, body in
                ConsumedEvent(entryID: "1-\(index)", body: ByteBuffer(string: body))
            }
            try await ActivityEventHandler(database: database, store: store).apply(events)
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
            #expect(requestIDs == [nil, "req-1", nil])
        }
    }
}
