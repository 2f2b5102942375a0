import Contracts
import Foundation
import Logging
import NIOFoundationEssentialsCompat
import PostgresNIO
import ServiceKit

/// An event the dashboard cannot use (a quote without organization, an unknown status); it goes to the dead
/// letters rather than being guessed at.
struct UnusableEvent: UnusableEventError, CustomStringConvertible {
    var reason: String
    var description: String { reason }
}

/// The parts of an envelope the projection reads, with its payload decoded as `Payload` in the same pass.
struct ProjectedEvent<Payload: Decodable & Sendable>: Decodable, Sendable {
    var id: UUID
    var type: String
    var occurredAt: Date
    var organizationID: UUID?
    var payload: Payload

    enum CodingKeys: String, CodingKey {
        case id, type
        case occurredAt = "occurred_at"
        case organizationID = "organization_id"
        case payload
    }
}

/// The dashboard's own copy of customers, quotes and CBR rates, built from events. Every write is guarded by
/// the aggregate's version, so redelivered and late events change nothing; it reports which organizations'
/// figures an event changed.
struct ProjectionStore: Sendable {
    let logger: Logger

    /// Applies one event in the caller's transaction; returns the organizations whose figures changed.
    func apply(_ event: ConsumedEvent, on connection: PostgresConnection) async throws -> Set<UUID> {
        let decoder = ContractJSON.makeDecoder()
        let data = Data(buffer: event.body)
        let type = try event.type ?? decoder.decode(ProjectedEvent<JSONValue>.self, from: data).type
        if CustomerEventPayload.eventTypes.contains(type) {
            return try await applyCustomer(
                try decoder.decode(ProjectedEvent<CustomerEventPayload>.self, from: data),
                on: connection
            )
        }
        if QuoteEventPayload.eventTypes.contains(type) {
            return try await applyQuote(
                try decoder.decode(ProjectedEvent<QuoteEventPayload>.self, from: data),
                on: connection
            )
        }
        if type == RatesPublished.eventType {
            return try await applyRates(
                try decoder.decode(ProjectedEvent<RatesPublished>.self, from: data).payload,
                on: connection
            )
        }
        return []
    }

    private func applyCustomer(
        _ event: ProjectedEvent<CustomerEventPayload>,
        on connection: PostgresConnection
    ) async throws -> Set<UUID> {
        guard let organization = event.organizationID else {
            throw UnusableEvent(reason: "\(event.type) has no organization_id")
        }
        let customer = event.payload
        let deleted = event.type == "customer.deleted"
        let rows = try await connection.query(
            """
            INSERT INTO dashboard.customers AS c (organization_id, id, name, inn, created_at, version, deleted)
            VALUES (\(organization), \(customer.id), \(customer.name), \(customer.inn),
                \(customer.createdAt ?? event.occurredAt), \(customer.version), \(deleted))
            ON CONFLICT (organization_id, id) DO UPDATE SET
                name = coalesce(excluded.name, c.name),
                inn = coalesce(excluded.inn, c.inn),
                created_at = CASE WHEN \(customer.createdAt != nil) THEN excluded.created_at ELSE c.created_at END,
                version = excluded.version,
                deleted = excluded.deleted
            WHERE excluded.version > c.version
            RETURNING 1
            """,
            logger: logger
        )
        return try await Self.changed(rows) ? [organization] : []
    }

    private func applyQuote(
        _ event: ProjectedEvent<QuoteEventPayload>,
        on connection: PostgresConnection
    ) async throws -> Set<UUID> {
        guard let organization = event.organizationID else {
            throw UnusableEvent(reason: "\(event.type) has no organization_id")
        }
        let quote = event.payload
        let deleted = event.type == "quote.deleted"
        if let amount = quote.totalAmount, !Self.isDecimal(amount, maxFraction: 6) {
            throw UnusableEvent(reason: "total_amount \(amount) is not a decimal")
        }
        if let date = quote.quoteDate, CalendarDay(date) == nil {
            throw UnusableEvent(reason: "quote_date \(date) is not a date")
        }
        if let currency = quote.currency, !CurrencyCode.isWellFormed(currency) {
            throw UnusableEvent(reason: "currency \(currency) is not an ISO 4217 code")
        }
        // Accepted without a time: the acceptance is the event itself.
        let acceptedAt = quote.acceptedAt ?? (quote.status == .accepted ? event.occurredAt : nil)
        let rows = try await connection.query(
            """
            INSERT INTO dashboard.quotes AS q (organization_id, id, number, customer_id, manager_id, status, total_amount,
                currency, quote_date, accepted_at, accepted_on, version, deleted)
            VALUES (\(organization), \(quote.id), \(quote.number), \(quote.customerID), \(quote.managerID),
                coalesce(\(quote.status?.rawValue), 'draft'), coalesce(\(quote.totalAmount)::numeric, 0),
                coalesce(\(quote.currency), 'RUB'), \(quote.quoteDate)::date, \(acceptedAt),
                (\(acceptedAt) AT TIME ZONE 'Europe/Moscow')::date, \(quote.version), \(deleted))
            ON CONFLICT (organization_id, id) DO UPDATE SET
                number = coalesce(excluded.number, q.number),
                customer_id = coalesce(excluded.customer_id, q.customer_id),
                manager_id = coalesce(excluded.manager_id, q.manager_id),
                status = CASE WHEN \(quote.status != nil) THEN excluded.status ELSE q.status END,
                total_amount = CASE WHEN \(quote.totalAmount != nil) THEN excluded.total_amount ELSE q.total_amount END,
                currency = coalesce(\(quote.currency), q.currency),
                quote_date = coalesce(excluded.quote_date, q.quote_date),
                accepted_at = coalesce(excluded.accepted_at, q.accepted_at),
                accepted_on = coalesce(excluded.accepted_on, q.accepted_on),
                version = excluded.version,
                deleted = excluded.deleted
            WHERE excluded.version > q.version
            RETURNING 1
            """,
            logger: logger
        )
        return try await Self.changed(rows) ? [organization] : []
    }

    /// Stores a CBR set and returns the organizations with accepted quotes the new rates can convert.
    private func applyRates(_ set: RatesPublished, on connection: PostgresConnection) async throws -> Set<UUID> {
        guard set.base == CurrencyCode.ruble, let date = CalendarDay(set.date) else {
            throw UnusableEvent(reason: "rates.published for \(set.date) in \(set.base) is not a RUB set for a date")
        }
        var currencies: [String] = []
        var rates: [String] = []
        for (currency, rate) in set.rates.sorted(by: { $0.key < $1.key }) {
            guard CurrencyCode.isWellFormed(currency), Self.isDecimal(rate, maxFraction: 10) else {
                throw UnusableEvent(reason: "rate \(rate) of \(currency) is not a decimal rate of a currency code")
            }
            currencies.append(currency)
            rates.append(rate)
        }
        let day = date.description
        try await connection.query(
            """
            INSERT INTO dashboard.rates (currency, effective_date, rate)
            SELECT currency, \(day)::date, rate::numeric FROM UNNEST(\(currencies)::text[], \(rates)::text[]) AS s(currency, rate)
            ON CONFLICT (currency, effective_date) DO UPDATE SET rate = excluded.rate
            """,
            logger: logger
        )
        let rows = try await connection.query(
            """
            SELECT DISTINCT organization_id FROM dashboard.quotes
            WHERE status = 'accepted' AND NOT deleted AND currency = ANY(\(currencies)) AND accepted_on >= \(day)::date
            """,
            logger: logger
        )
        var organizations: Set<UUID> = []
        for try await organization in rows.decode(UUID.self) { organizations.insert(organization) }
        return organizations
    }

    /// An exact decimal string (`"125000.50"`, never `"12,5"` or `"1e3"`) that its column holds without
    /// rounding: up to 16 digits before the point and `maxFraction` after it (6 for amounts, as the quote
    /// payload's schema says and `numeric(22,6)` keeps; 10 for rates).
    static func isDecimal(_ text: String, maxFraction: Int) -> Bool {
        guard Decimal(wireString: text) != nil else { return false }
        let parts = text.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        let whole = parts[0].hasPrefix("-") ? parts[0].dropFirst() : parts[0]
        return whole.count <= 16 && (parts.count == 1 || parts[1].count <= maxFraction)
    }

    private static func changed(_ rows: PostgresRowSequence) async throws -> Bool {
        var changed = false
        for try await _ in rows { changed = true }
        return changed
    }
}
