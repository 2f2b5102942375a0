import Contracts
import Foundation
import HTTPTypes
import HummingbirdTesting
import Logging
import NIOCore
import NIOFoundationEssentialsCompat
import PostgresNIO
import ServiceKit
import TestSupport
import Testing

@testable import ActivityApp

@Suite("Activity export (CSV) and retention")
struct ExportAndRetentionTests {
    @Test("cells are quoted per RFC 4180 and formulas neutralized")
    func escaping() {
        #expect(CSVWriter.escape("plain") == "plain")
        #expect(CSVWriter.escape("a,b") == "\"a,b\"")
        #expect(CSVWriter.escape("a;b") == "\"a;b\"", "Excel in a Russian locale splits on semicolons")
        #expect(CSVWriter.escape("say \"hi\"") == "\"say \"\"hi\"\"\"")
        #expect(CSVWriter.escape("two\nlines") == "\"two\nlines\"")
        #expect(CSVWriter.escape("=HYPERLINK(\"http://evil\")") == "\"'=HYPERLINK(\"\"http://evil\"\")\"")
        #expect(CSVWriter.escape("+1") == "'+1")
        #expect(CSVWriter.escape("-2") == "'-2")
        #expect(CSVWriter.escape("@SUM(A1)") == "'@SUM(A1)")
        #expect(CSVWriter.escape("\tcmd") == "'\tcmd")
        #expect(CSVWriter.escape("\rcmd") == "\"'\rcmd\"")
        #expect(CSVWriter.escape("Иванов, ООО") == "\"Иванов, ООО\"")
        #expect(CSVWriter.row(["a", "b"]) == "a,b\r\n")
    }

    @Test("the export streams every filtered entry as CSV and is itself recorded")
    func export() async throws {
        try await ActivityHarness.with { harness, client in
            var envelopes = (0..<30).map { index in harness.envelope(resourceID: "Q-\(index)") }
            envelopes.append(
                harness.envelope(
                    type: "customer.updated",
                    action: .update,
                    resourceType: "customer",
                    resourceID: "=cmd|' /C calc'!A0"
                )
            )
            try await harness.record(client, envelopes)
            let admin = try await harness.token(harness.admin, role: .admin)
            let response = try await client.execute(
                uri: "/api/activity-logs/export.csv?resource_type=customer",
                method: .get,
                headers: .authorized(admin)
            )
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "text/csv; charset=utf-8")
            #expect(response.headers[.contentDisposition]?.hasPrefix("attachment") == true)
            let text = response.text
            #expect(text.hasPrefix("\u{FEFF}id,occurred_at,"))
            let lines = text.split(separator: "\r\n")
            #expect(lines.count == 2)
            #expect(lines[1].contains("'=cmd|' /C calc'!A0"))

            let quotes = try await client.execute(
                uri: "/api/activity-logs/export.csv?resource_type=quote",
                method: .get,
                headers: .authorized(admin)
            )
            #expect(quotes.text.split(separator: "\r\n").count == 31)

            try await eventually("the export is in the log") {
                try await harness.list(client, "?resource_type=activity_export", token: admin).items.first?.eventType
                    == "activity.exported"
            }
        }
    }

    @Test("retention deletes only entries older than the configured days")
    func retention() async throws {
        try await ActivityEntryStore.withMigrated { store, database, environment in
            let organization = UUID()
            func event(daysAgo: Double) -> EventEnvelope {
                EventEnvelope(
                    type: "quote.created",
                    occurredAt: Date().addingTimeInterval(-daysAgo * 86_400),
                    source: EventSource(service: "t", instance: nil),
                    organizationID: organization,
                    actor: nil,
                    requestID: nil,
                    resource: EventResource(type: "quote", id: "1"),
                    action: .create
                )
            }
            try await store.insert(
                (0..<2500).map { _ in event(daysAgo: 400) } + (0..<10).map { _ in event(daysAgo: 10) },
                in: database
            )
            try await TestInfrastructure.withRedis { redis in
                let job = RetentionJob(
                    database: database,
                    store: store,
                    clock: SystemWallClock(),
                    lease: RedisLease(redis: redis, name: environment.databaseName, owner: "t", ttl: .seconds(30)),
                    retentionDays: 365,
                    interval: .seconds(3600),
                    logger: TestInfrastructure.logger("retention")
                )
                let deleted = try await job.runOnce()
                #expect(deleted == 2500)
            }
            let remaining = try await store.page(ActivityFilter(organizationID: organization), in: database)
            #expect(remaining.total == 10)
        }
    }

    @Test("a filtered page is an index scan on the filter's index")
    func indexesUsed() async throws {
        try await ActivityEntryStore.withMigrated { store, database, _ in
            // Enough rows over enough organizations that the planner's choice means something.
            let organizations = (0..<20).map { _ in UUID() }
            for chunk in 0..<10 {
                try await store.insert(
                    (0..<2000).map { index in
                        EventEnvelope(
                            type: "quote.created",
                            occurredAt: Date().addingTimeInterval(-Double(chunk * 2000 + index)),
                            source: EventSource(service: "t", instance: nil),
                            organizationID: organizations[index % 20],
                            actor: EventActor(userID: UUID(), email: nil, ip: nil, userAgent: nil),
                            requestID: nil,
                            resource: EventResource(type: index % 2 == 0 ? "quote" : "customer", id: "\(index)"),
                            action: index % 3 == 0 ? .create : .update
                        )
                    },
                    in: database
                )
            }
            let organization = organizations[0]
            let plans = try await database.withConnection { connection in
                let logger = TestInfrastructure.logger("test")
                try await connection.query("ANALYZE activity.entries", logger: logger)
                var plans: [String] = []
                for filter in [
                    "action = 'create'", "actor_id = '\(UUID().uuidString)'",
                    "resource_type = 'quote' AND resource_id = '8'", "true",
                ] {
                    let rows = try await connection.query(
                        PostgresQuery(
                            unsafeSQL: """
                                EXPLAIN SELECT id FROM activity.entries
                                WHERE organization_id = '\(organization.uuidString)' AND \(filter)
                                ORDER BY occurred_at DESC, id DESC LIMIT 21
                                """
                        ),
                        logger: logger
                    )
                    var plan = ""
                    for try await line in rows.decode(String.self) { plan += line + "\n" }
                    plans.append(plan)
                }
                return plans
            }
            #expect(plans[0].contains("entries_org_action_time"), "\(plans[0])")
            #expect(plans[1].contains("entries_org_actor_time"), "\(plans[1])")
            #expect(plans[2].contains("entries_org_resource_time"), "\(plans[2])")
            #expect(plans[3].contains("entries_org_time"), "\(plans[3])")
            #expect(plans.allSatisfy { !$0.contains("Sort") }, "the index gives the order")
        }
    }
}

@Suite("Activity totals")
struct ActivityTotalTests {
    @Test("totals are exact up to the counting limit and estimated beyond it")
    func estimatedTotals() async throws {
        try await ActivityEntryStore.withMigrated { store, database, environment in
            let organization = UUID()
            let count = ActivityEntryStore.exactCountLimit + 500
            for start in stride(from: 0, to: count, by: 2000) {
                try await store.insert(
                    (start..<min(start + 2000, count)).map { index in
                        EventEnvelope(
                            type: "quote.created",
                            occurredAt: Date().addingTimeInterval(-Double(index)),
                            source: EventSource(service: "t", instance: nil),
                            organizationID: organization,
                            actor: nil,
                            requestID: nil,
                            resource: EventResource(type: index < 100 ? "customer" : "quote", id: "\(index)"),
                            action: .create
                        )
                    },
                    in: database
                )
            }
            try await database.withConnection { connection in
                try await connection.query("ANALYZE activity.entries", logger: TestInfrastructure.logger("test"))
                return ()
            }
            let large = try await store.page(ActivityFilter(organizationID: organization), in: database)
            #expect(!large.totalExact)
            #expect(large.total > ActivityEntryStore.exactCountLimit)
            #expect(abs(large.total - count) < count / 5, "the estimate is close: \(large.total)")
            let small = try await store.page(
                ActivityFilter(organizationID: organization, resourceType: "customer"),
                in: database
            )
            #expect(small.totalExact)
            #expect(small.total == 100)
        }
    }
}
