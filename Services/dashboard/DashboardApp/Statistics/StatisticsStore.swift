import Contracts
import Foundation
import Logging
import PostgresNIO
import ServiceKit

/// Computes an organization's figures from the projection. Revenue converts each accepted quote at the CBR
/// rate effective on its acceptance day (the latest set dated on or before it), exactly, in `numeric`;
/// amounts are summed per currency and day first, so the rate lookup runs once per day, not per quote.
struct StatisticsStore: Sendable {
    let database: Database
    let calendar = MoscowCalendar()
    let logger: Logger

    /// Per currency and acceptance day, the accepted total and its RUB rate (NULL when unknown).
    private static let convertedDays = """
        WITH accepted AS (
            SELECT currency, accepted_on, sum(total_amount) AS amount, count(*) AS quotes
            FROM dashboard.quotes
            WHERE organization_id = $1 AND status = 'accepted' AND NOT deleted AND accepted_on IS NOT NULL
            GROUP BY currency, accepted_on
        ), converted AS (
            SELECT a.currency, a.accepted_on, a.amount, a.quotes,
                CASE WHEN a.currency = 'RUB' THEN 1::numeric ELSE r.rate END AS rate
            FROM accepted a
            LEFT JOIN LATERAL (
                SELECT rate FROM dashboard.rates
                WHERE currency = a.currency AND effective_date <= a.accepted_on
                ORDER BY effective_date DESC LIMIT 1
            ) r ON a.currency <> 'RUB'
        )
        """

    func stats(organization: UUID, now: Date = Date()) async throws -> DashboardStats {
        let thisMonth = calendar.monthStart(of: now)
        let lastMonth = calendar.monthStart(of: now, offset: -1)
        let nextMonth = calendar.monthStart(of: now, offset: 1)
        let (thisDay, lastDay, nextDay) = (
            calendar.day(of: thisMonth).description, calendar.day(of: lastMonth).description,
            calendar.day(of: nextMonth).description
        )
        let logger = self.logger
        return try await database.withConnection { connection in
            var customers = CustomerStats(total: 0, newThisMonth: 0)
            let customerRows = try await connection.query(
                """
                SELECT count(*)::int, (count(*) FILTER (WHERE created_at >= \(thisMonth) AND created_at < \(nextMonth)))::int
                FROM dashboard.customers WHERE organization_id = \(organization) AND NOT deleted
                """,
                logger: logger
            )
            for try await (total, new) in customerRows.decode((Int, Int).self) {
                customers = CustomerStats(total: total, newThisMonth: new)
            }

            var byStatus = Dictionary(uniqueKeysWithValues: QuoteStatus.allCases.map { ($0.rawValue, 0) })
            var total = 0
            var inMonth = 0
            let quoteRows = try await connection.query(
                """
                SELECT status, count(*)::int,
                    (count(*) FILTER (WHERE quote_date >= \(thisDay)::date AND quote_date < \(nextDay)::date))::int
                FROM dashboard.quotes WHERE organization_id = \(organization) AND NOT deleted
                GROUP BY status
                """,
                logger: logger
            )
            for try await (status, count, month) in quoteRows.decode((String, Int, Int).self) {
                byStatus[status] = count
                total += count
                inMonth += month
            }

            // One pass over the accepted quotes: the row without a currency is the converted revenue in RUB,
            // each row with one is an amount in that currency without a rate for its day.
            let revenueRows = try await connection.query(
                PostgresQuery(
                    unsafeSQL: Self.convertedDays + """
                        SELECT CASE WHEN rate IS NULL THEN currency END,
                            round(sum(amount * coalesce(rate, 1)), 2),
                            coalesce(round(sum(amount * rate) FILTER (WHERE accepted_on >= $2::date AND accepted_on < $3::date), 2), 0),
                            coalesce(round(sum(amount * rate) FILTER (WHERE accepted_on >= $4::date AND accepted_on < $2::date), 2), 0)
                        FROM converted
                        GROUP BY 1
                        """,
                    binds: try Self.binds(organization, thisDay, nextDay, lastDay)
                ),
                logger: logger
            )
            var revenue = (total: Decimal.zero, this: Decimal.zero, last: Decimal.zero)
            var unconverted: [String: Decimal] = [:]
            for try await (currency, total, this, last) in revenueRows.decode((String?, Decimal, Decimal, Decimal).self)
            {
                if let currency {
                    unconverted[currency] = total
                } else {
                    revenue = (total, this, last)
                }
            }
            let change: Decimal? =
                revenue.last == 0 ? nil : ((revenue.this - revenue.last) / revenue.last * 100).rounded(scale: 1)
            return DashboardStats(
                customers: customers,
                quotes: QuoteStats(total: total, thisMonth: inMonth, byStatus: byStatus),
                revenue: RevenueStats(
                    currency: "RUB",
                    total: revenue.total,
                    thisMonth: revenue.this,
                    lastMonth: revenue.last,
                    changePct: change,
                    unconverted: unconverted
                ),
                computedAt: now
            )
        }
    }

    func trends(organization: UUID, months: Int, now: Date = Date()) async throws -> RevenueTrends {
        let starts = (0..<months).map { calendar.monthStart(of: now, offset: $0 - months + 1) }
        let first = calendar.day(of: starts[0]).description
        let end = calendar.day(of: calendar.monthStart(of: now, offset: 1)).description
        let logger = self.logger
        return try await database.withConnection { connection in
            let rows = try await connection.query(
                PostgresQuery(
                    unsafeSQL: Self.convertedDays + """
                        SELECT to_char(accepted_on, 'YYYY-MM') AS month, currency, rate IS NOT NULL,
                            round(sum(amount * coalesce(rate, 1)), 2), sum(quotes)::int
                        FROM converted WHERE accepted_on >= $2::date AND accepted_on < $3::date
                        GROUP BY month, currency, rate IS NOT NULL
                        """,
                    binds: try Self.binds(organization, first, end)
                ),
                logger: logger
            )
            var byMonth: [String: RevenueMonth] = [:]
            for try await (month, currency, converted, amount, quotes) in rows.decode(
                (String, String, Bool, Decimal, Int).self
            ) {
                var item = byMonth[month] ?? RevenueMonth(month: month, revenue: 0, acceptedQuotes: 0, unconverted: [:])
                item.acceptedQuotes += quotes
                if converted {
                    item.revenue += amount
                } else {
                    item.unconverted[currency, default: 0] += amount
                }
                byMonth[month] = item
            }
            let items = starts.map { start in
                let name = calendar.monthName(of: start)
                return byMonth[name] ?? RevenueMonth(month: name, revenue: 0, acceptedQuotes: 0, unconverted: [:])
            }
            return RevenueTrends(items: items, computedAt: now)
        }
    }

    private static func binds(_ organization: UUID, _ days: String...) throws -> PostgresBindings {
        var binds = PostgresBindings()
        binds.append(organization)
        for day in days { binds.append(day) }
        return binds
    }
}
