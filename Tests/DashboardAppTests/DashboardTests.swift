import Contracts
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import NIOFoundationEssentialsCompat
import PostgresNIO
import ServiceKit
import TestSupport
import Testing

@testable import DashboardApp

/// Instants on the Moscow calendar for hand-computed expectations.
func moscow(_ text: String) -> Date {
    Timestamp.parse(text + "+03:00") ?? Date(timeIntervalSince1970: 0)
}

@Suite("Dashboard: projection and statistics")
struct DashboardTests {
    @Test("quotes and customers are projected: create, update, status change, delete, redelivery, out of order")
    func projection() async throws {
        try await DashboardHarness.with { harness in
            try await harness.customer("c1", version: 1)
            try await harness.customer("c2", version: 1)
            try await harness.customer("c2", version: 2, deleted: true)
            // A creation redelivered after the deletion is ignored.
            try await harness.customer("c2", version: 1)
            let today = CalendarDay(moscowDayOf: Date()).description
            try await harness.quote("q1", version: 1, status: .draft, amount: "100.00", quoteDate: today)
            try await harness.quote("q1", version: 3, status: .sent, amount: "120.00", quoteDate: today)
            // An older version arriving late is ignored.
            try await harness.quote("q1", version: 2, status: .rejected, amount: "1.00", quoteDate: today)
            try await harness.quote("q2", version: 1, status: .draft, amount: "50", quoteDate: today)
            try await harness.quote(
                "q2",
                version: 2,
                status: .draft,
                amount: "50",
                quoteDate: today,
                type: "quote.deleted"
            )
            try await harness.quote(
                "q3",
                version: 1,
                status: .accepted,
                amount: "1000.50",
                quoteDate: today,
                acceptedAt: Date()
            )
            try await harness.quote(
                "q3",
                version: 1,
                status: .accepted,
                amount: "1000.50",
                quoteDate: today,
                acceptedAt: Date()
            )
            try await harness.settled()

            let stats = try await harness.stats()
            #expect(stats.customers.total == 1)
            #expect(stats.quotes.total == 2)
            #expect(stats.quotes.byStatus == ["draft": 0, "sent": 1, "accepted": 1, "rejected": 0, "expired": 0])
            #expect(stats.quotes.thisMonth == 2)
            #expect(stats.revenue.total == Decimal(string: "1000.50"))
            #expect(stats.revenue.thisMonth == Decimal(string: "1000.50"))
        }
    }

    @Test("revenue converts at the rate effective on the acceptance day: weekends use Saturday's set")
    func conversion() async throws {
        try await IsolatedEnvironment.with { environment in
            try await environment.withDatabase { database in
                try await MigrationRunner(schema: DashboardMigrations.schema, migrations: DashboardMigrations.all)
                    .run(on: database, logger: TestInfrastructure.logger("test"))
                let organization = UUID()
                let projection = ProjectionStore(logger: TestInfrastructure.logger("projection"))
                let events = [
                    Self.event(
                        RatesPublished.eventType,
                        RatesPublished(date: "2026-03-13", base: "RUB", rates: ["USD": "80.5", "EUR": "90.25"]),
                        nil
                    ),
                    // Saturday's set also covers Sunday and Monday.
                    Self.event(
                        RatesPublished.eventType,
                        RatesPublished(date: "2026-03-14", base: "RUB", rates: ["USD": "81.0", "EUR": "91"]),
                        nil
                    ),
                    Self.event(
                        RatesPublished.eventType,
                        RatesPublished(date: "2026-03-17", base: "RUB", rates: ["USD": "82.25"]),
                        nil
                    ),
                    // Accepted Sunday 15 March in USD: 100 × 81.0 = 8,100.00.
                    Self.quoteEvent("a", "100.00", "USD", moscow("2026-03-15T10:00:00"), organization),
                    // Accepted Tuesday 17 March in EUR: EUR's latest set on or before is Saturday's, 91 × 10.5 = 955.50.
                    Self.quoteEvent("b", "10.50", "EUR", moscow("2026-03-17T18:00:00"), organization),
                    // Accepted in RUB: as is.
                    Self.quoteEvent("c", "1234.56", "RUB", moscow("2026-03-02T09:00:00"), organization),
                    // Accepted 28 February in USD: last month, 33.33 × 80.5 … no: no USD rate on or before 28 Feb.
                    Self.quoteEvent("d", "33.33", "USD", moscow("2026-02-28T12:00:00"), organization),
                    // CNY never had a rate.
                    Self.quoteEvent("e", "700", "CNY", moscow("2026-03-20T12:00:00"), organization),
                    // Accepted just before midnight UTC but already 1 March in Moscow.
                    Self.quoteEvent("f", "10", "RUB", Timestamp.parse("2026-02-28T22:30:00Z") ?? Date(), organization),
                ]
                try await database.withTransaction { connection in
                    for event in events { _ = try await projection.apply(event, on: connection) }
                }
                let store = StatisticsStore(logger: TestInfrastructure.logger("stats"))
                let march = try await database.withConnection { connection in
                    try await store.revenue(organization, at: moscow("2026-03-25T12:00:00"), on: connection)
                }
                // 8,100.00 + 955.50 + 1,234.56 + 10 = 10,300.06
                #expect(march.total == Decimal(string: "10300.06"))
                #expect(march.thisMonth == Decimal(string: "10300.06"))
                #expect(march.lastMonth == 0)
                #expect(march.changePct == nil)
                #expect(march.unconverted == ["USD": Decimal(string: "33.33")!, "CNY": Decimal(700)])

                let april = try await database.withConnection { connection in
                    try await store.revenue(organization, at: moscow("2026-04-02T12:00:00"), on: connection)
                }
                #expect(april.thisMonth == 0)
                #expect(april.lastMonth == Decimal(string: "10300.06"))
                #expect(april.changePct == -100)

                let trends = try await database.withConnection { connection in
                    try await store.trends(
                        organization: organization,
                        months: 3,
                        now: moscow("2026-03-25T12:00:00"),
                        on: connection
                    )
                }
                #expect(trends.items.map(\.month) == ["2026-01", "2026-02", "2026-03"])
                #expect(trends.items.map(\.acceptedQuotes) == [0, 1, 5])
                #expect(trends.items[2].revenue == Decimal(string: "10300.06"))
                #expect(trends.items[1].unconverted == ["USD": Decimal(string: "33.33")!])
                #expect(trends.items[2].unconverted == ["CNY": Decimal(700)])
            }
        }
    }

    @Test("another organization's events never show in your figures")
    func isolation() async throws {
        try await DashboardHarness.with { harness in
            let other = UUID()
            let today = CalendarDay(moscowDayOf: Date()).description
            try await harness.quote(
                "mine",
                version: 1,
                status: .accepted,
                amount: "10",
                quoteDate: today,
                acceptedAt: Date()
            )
            try await harness.quote(
                "theirs",
                version: 1,
                status: .accepted,
                amount: "99",
                quoteDate: today,
                acceptedAt: Date(),
                organization: other
            )
            try await harness.settled()
            #expect(try await harness.stats().revenue.total == 10)
            #expect(try await harness.stats(organization: other).revenue.total == 99)
        }
    }

    @Test("cached figures are dropped as soon as an event changes them (the benchmark times it)")
    func invalidation() async throws {
        try await DashboardHarness.with { harness in
            let today = CalendarDay(moscowDayOf: Date()).description
            try await harness.quote(
                "q1",
                version: 1,
                status: .accepted,
                amount: "100",
                quoteDate: today,
                acceptedAt: Date()
            )
            try await harness.settled()
            let before = try await harness.stats()
            #expect(before.revenue.total == 100)
            #expect(try await harness.stats().computedAt == before.computedAt, "the second read comes from the cache")
            try await harness.quote(
                "q2",
                version: 1,
                status: .accepted,
                amount: "50",
                quoteDate: today,
                acceptedAt: Date()
            )
            // Normally well under a second (10 ms batches); the benchmark times it.
            try await eventually("the cache is dropped") {
                try await harness.stats().revenue.total == 150
            }
        }
    }

    @Test("trends take 1 to 36 months; anything else is a 422")
    func trendMonths() async throws {
        try await DashboardHarness.with { harness in
            let token = try await harness.token()
            for months in ["0", "37", "x"] {
                try await harness.client.execute(
                    uri: "/api/dashboard/revenue-trends?months=\(months)",
                    method: .get,
                    headers: [.authorization: token]
                ) { response in
                    #expect(response.status == .unprocessableContent)
                }
            }
            try await harness.client.execute(
                uri: "/api/dashboard/revenue-trends",
                method: .get,
                headers: [.authorization: token]
            ) { response in
                let trends = try response.decode(RevenueTrends.self)
                #expect(trends.items.count == 12)
                #expect(trends.items.last?.month == MoscowCalendar().monthName(of: Date()))
            }
            try await harness.client.execute(uri: "/api/dashboard/stats", method: .get) { response in
                #expect(response.status == .unauthorized)
            }
        }
    }

    @Test("events the dashboard cannot use go to the dead letters")
    func unusable() async throws {
        try await DashboardHarness.with { harness in
            // A comma, and more decimals than the payload's schema allows and the column keeps (it would round).
            for (number, amount) in [(1, "12,5"), (2, "1.0000001")] {
                try await harness.quote(
                    "bad-\(number)",
                    version: 1,
                    status: .accepted,
                    amount: amount,
                    quoteDate: "2026-01-01",
                    acceptedAt: Date()
                )
            }
            try await eventually("dead-lettered at once") {
                try await TestInfrastructure.withRedis { redis in
                    try await redis.streamLength(harness.environment.deadLetterStream) == 2
                }
            }
        }
    }

    @Test("a rates.published entry is applied only when the rates service's relay published it")
    func ratesOnlyFromRates() async throws {
        try await DashboardHarness.with { harness in
            let forged = RatesPublished(date: "2026-03-16", base: "RUB", rates: ["USD": "1.00"])
            for origin in ["activity", "users", "dashboard"] {
                try await harness.publish(RatesPublished.eventType, forged, origin: origin)
            }
            try await harness.publish(RatesPublished.eventType, forged, origin: .some(nil))
            let real = RatesPublished(date: "2026-03-17", base: "RUB", rates: ["USD": "82.25"])
            try await harness.publish(RatesPublished.eventType, real, origin: "rates")
            try await harness.settled()

            let stored = try await harness.environment.withDatabase { database in
                try await database.withConnection { connection in
                    var rates: [String] = []
                    let rows = try await connection.query(
                        "SELECT effective_date || ' ' || currency || ' ' || rate::float8 FROM dashboard.rates",
                        logger: TestInfrastructure.logger("test")
                    )
                    for try await rate in rows.decode(String.self) { rates.append(rate) }
                    return rates
                }
            }
            #expect(stored == ["2026-03-17 USD 82.25"], "only the set the rates service published")
            let reasons = try await TestInfrastructure.withRedis { redis in
                try await redis.streamRange(harness.environment.deadLetterStream).compactMap {
                    $0[field: "reason"].map { String(buffer: $0) }
                }
            }
            #expect(reasons.count == 4)
            #expect(
                reasons.contains(
                    "rates.published was published by activity, but only the rates service's relay may publish it"
                )
            )
            #expect(
                reasons.contains(
                    "the entry has no origin; rates.published is applied only when published by the rates "
                        + "service's relay"
                )
            )
        }
    }

    @Test("quote events are applied only when published by activity, which ingests them")
    func quotesOnlyFromActivity() async throws {
        try await DashboardHarness.with { harness in
            try await harness.quote("q1", version: 1, status: .draft, amount: "100", quoteDate: "2026-03-02")
            let forged = QuoteEventPayload(
                id: "q2",
                number: "КП-q2",
                customerID: nil,
                managerID: nil,
                status: .draft,
                totalAmount: "100",
                currency: "RUB",
                quoteDate: "2026-03-02",
                acceptedAt: nil,
                version: 1
            )
            try await harness.publish("quote.created", forged, origin: "users")
            try await harness.publish("quote.created", forged, origin: .some(nil))
            try await harness.settled()
            #expect(try await harness.stats().quotes.total == 1)
            try await eventually("both dead-lettered") {
                try await TestInfrastructure.withRedis { redis in
                    try await redis.streamLength(harness.environment.deadLetterStream) == 2
                }
            }
        }
    }

    static func event(
        _ type: String,
        _ payload: some Encodable,
        _ organization: UUID?,
        at date: Date = Date()
    ) -> ConsumedEvent {
        let envelope = EventEnvelope(
            type: type,
            occurredAt: date,
            source: EventSource(service: "test", instance: nil),
            organizationID: organization,
            actor: nil,
            requestID: nil,
            resource: EventResource(type: "x", id: nil),
            action: .other,
            payload: (try? JSONValue(encoding: payload)) ?? [:]
        )
        let body = (try? ContractJSON.makeEncoder().encode(envelope)) ?? Data()
        return ConsumedEvent(entryID: "0-1", type: type, body: ByteBuffer(data: body))
    }

    static func quoteEvent(
        _ id: String,
        _ amount: String,
        _ currency: String,
        _ acceptedAt: Date,
        _ organization: UUID
    ) -> ConsumedEvent {
        event(
            "quote.status_changed",
            QuoteEventPayload(
                id: id,
                number: id,
                customerID: nil,
                managerID: nil,
                status: .accepted,
                totalAmount: amount,
                currency: currency,
                quoteDate: "2026-02-01",
                acceptedAt: acceptedAt,
                version: 1
            ),
            organization
        )
    }
}
