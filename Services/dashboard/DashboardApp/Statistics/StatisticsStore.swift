import Contracts
import Foundation
import Logging
import PostgresNIO
import ServiceKit

/// Computes an organization's figures from the projection. Revenue converts each accepted quote at the CBR
/// rate effective on its acceptance day (the latest set dated on or before it), exactly, in `numeric`.
///
/// The revenue queries sum amounts per currency and day first (in index order, from a covering index), read
/// each currency's rates once as a sorted array, find each day's rate period with `width_bucket` (a binary
/// search), and multiply each period's sum by its rate once. Day bounds are bound as text and cast once
/// (`(SELECT $n::date)`), not once per row.
struct StatisticsStore: Sendable {
    let calendar = MoscowCalendar()
    let logger: Logger

    /// `days`: per currency and acceptance day, the accepted total and quote count (`$1`: the organization;
    /// `extraFilter` narrows the days). `curves`: each non-RUB currency's rate dates and rates, in date order.
    /// `rate_periods`: each rate with its position, which is what `width_bucket` over `dates` gives a day.
    private static func acceptedDaysAndCurves(extraFilter: String = "") -> String {
        """
        WITH days AS (
            SELECT currency, accepted_on, sum(total_amount) AS amount, count(*) AS quotes
            FROM dashboard.quotes
            WHERE organization_id = $1 AND status = 'accepted' AND NOT deleted AND accepted_on IS NOT NULL\(extraFilter)
            GROUP BY currency, accepted_on
        ), curves AS (
            SELECT currency, array_agg(effective_date ORDER BY effective_date) AS dates,
                array_agg(rate ORDER BY effective_date) AS rates
            FROM dashboard.rates
            WHERE currency = ANY ((SELECT array_agg(DISTINCT currency) FROM days WHERE currency <> 'RUB')::text[])
            GROUP BY currency
        ), rate_periods AS (
            SELECT c.currency, u.rate, u.period
            FROM curves c CROSS JOIN LATERAL unnest(c.rates) WITH ORDINALITY AS u(rate, period)
        )
        """
    }

    /// Accepted amounts of all time and of this and last month; the row without a currency is the converted
    /// revenue in RUB, each row with one an amount in that currency without a rate for its day. `$2`, `$3`,
    /// `$4`: the first days of this, next and last month.
    private static let revenueSQL =
        acceptedDaysAndCurves() + """
            , periods AS (
                SELECT d.currency, width_bucket(d.accepted_on, c.dates)::bigint AS period, sum(d.amount) AS amount,
                    sum(d.amount) FILTER (WHERE d.accepted_on >= (SELECT $2::date) AND d.accepted_on < (SELECT $3::date)) AS this_month,
                    sum(d.amount) FILTER (WHERE d.accepted_on >= (SELECT $4::date) AND d.accepted_on < (SELECT $2::date)) AS last_month
                FROM days d LEFT JOIN curves c ON c.currency = d.currency
                GROUP BY 1, 2
            ), converted AS (
                SELECT p.currency, p.amount, p.this_month, p.last_month,
                    CASE WHEN p.currency = 'RUB' THEN 1::numeric ELSE r.rate END AS rate
                FROM periods p LEFT JOIN rate_periods r ON r.currency = p.currency AND r.period = p.period
            )
            SELECT CASE WHEN rate IS NULL THEN currency END,
                round(sum(amount * coalesce(rate, 1)), 2),
                coalesce(round(sum(this_month * rate), 2), 0),
                coalesce(round(sum(last_month * rate), 2), 0)
            FROM converted
            GROUP BY 1
            """

    /// Per month and currency, the accepted revenue in RUB (or, without a rate, in the currency) and the
    /// number of quotes. `$2`, `$3`: the first day of the first month and of the month after the last.
    private static let trendsSQL =
        acceptedDaysAndCurves(extraFilter: " AND accepted_on >= (SELECT $2::date) AND accepted_on < (SELECT $3::date)")
            + """
            , periods AS (
                SELECT to_char(d.accepted_on, 'YYYY-MM') AS month, d.currency,
                    width_bucket(d.accepted_on, c.dates)::bigint AS period, sum(d.amount) AS amount, sum(d.quotes) AS quotes
                FROM days d LEFT JOIN curves c ON c.currency = d.currency
                GROUP BY 1, 2, 3
            ), converted AS (
                SELECT p.month, p.currency, p.amount, p.quotes,
                    CASE WHEN p.currency = 'RUB' THEN 1::numeric ELSE r.rate END AS rate
                FROM periods p LEFT JOIN rate_periods r ON r.currency = p.currency AND r.period = p.period
            )
            SELECT month, currency, rate IS NOT NULL, round(sum(amount * coalesce(rate, 1)), 2), sum(quotes)::int
            FROM converted
            GROUP BY month, currency, rate IS NOT NULL
            """

    /// The first days of this month, last month and next month at `now`, in Moscow, as `YYYY-MM-DD`.
    private func monthDays(at now: Date) -> (this: String, last: String, next: String) {
        (
            this: CalendarDay(moscowDayOf: calendar.monthStart(of: now)).description,
            last: CalendarDay(moscowDayOf: calendar.monthStart(of: now, offset: -1)).description,
            next: CalendarDay(moscowDayOf: calendar.monthStart(of: now, offset: 1)).description
        )
    }

    /// Customers in total and created this month (Moscow time) at `now`.
    func customers(_ organization: UUID, at now: Date, on connection: PostgresConnection) async throws -> CustomerStats
    {
        let month = (this: calendar.monthStart(of: now), next: calendar.monthStart(of: now, offset: 1))
        let rows = try await connection.query(
            """
            SELECT count(*)::int, (count(*) FILTER (WHERE created_at >= \(month.this) AND created_at < \(month.next)))::int
            FROM dashboard.customers WHERE organization_id = \(organization) AND NOT deleted
            """,
            logger: logger
        )
        var customers = CustomerStats(total: 0, newThisMonth: 0)
        for try await (total, new) in rows.decode((Int, Int).self) {
            customers = CustomerStats(total: total, newThisMonth: new)
        }
        return customers
    }

    /// Quotes by status, and dated this month at `now`.
    func quotes(_ organization: UUID, at now: Date, on connection: PostgresConnection) async throws -> QuoteStats {
        let (thisDay, _, nextDay) = monthDays(at: now)
        let rows = try await connection.query(
            """
            SELECT status, count(*)::int,
                (count(*) FILTER (WHERE quote_date >= (SELECT \(thisDay)::date) AND quote_date < (SELECT \(nextDay)::date)))::int
            FROM dashboard.quotes WHERE organization_id = \(organization) AND NOT deleted
            GROUP BY status
            """,
            logger: logger
        )
        var byStatus = Dictionary(uniqueKeysWithValues: QuoteStatus.allCases.map { ($0.rawValue, 0) })
        var total = 0
        var inMonth = 0
        for try await (status, count, month) in rows.decode((String, Int, Int).self) {
            byStatus[status] = count
            total += count
            inMonth += month
        }
        return QuoteStats(total: total, thisMonth: inMonth, byStatus: byStatus)
    }

    /// Accepted revenue in RUB in total, this month and last month at `now`, and what could not be converted.
    func revenue(_ organization: UUID, at now: Date, on connection: PostgresConnection) async throws -> RevenueStats {
        let days = monthDays(at: now)
        // The row without a currency is the converted revenue in RUB, each row with one an amount in that
        // currency without a rate for its day.
        let rows = try await connection.query(
            PostgresQuery(
                unsafeSQL: Self.revenueSQL,
                binds: try Self.binds(organization, days.this, days.next, days.last)
            ),
            logger: logger
        )
        var revenue = (total: Decimal.zero, this: Decimal.zero, last: Decimal.zero)
        var unconverted: [String: Decimal] = [:]
        for try await (currency, total, this, last) in rows.decode((String?, Decimal, Decimal, Decimal).self) {
            if let currency {
                unconverted[currency] = total
            } else {
                revenue = (total, this, last)
            }
        }
        let change: Decimal? =
            revenue.last == 0 ? nil : ((revenue.this - revenue.last) / revenue.last * 100).rounded(scale: 1)
        return RevenueStats(
            currency: "RUB",
            total: revenue.total,
            thisMonth: revenue.this,
            lastMonth: revenue.last,
            changePct: change,
            unconverted: unconverted
        )
    }

    /// Accepted revenue per month for the `months` months up to `now`'s.
    func trends(
        organization: UUID,
        months: Int,
        now: Date,
        on connection: PostgresConnection
    ) async throws -> RevenueTrends {
        let starts = (0..<months).map { calendar.monthStart(of: now, offset: $0 - months + 1) }
        let first = CalendarDay(moscowDayOf: starts[0]).description
        let end = CalendarDay(moscowDayOf: calendar.monthStart(of: now, offset: 1)).description
        let rows = try await connection.query(
            PostgresQuery(
                unsafeSQL: Self.trendsSQL,
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

    private static func binds(_ organization: UUID, _ days: String...) throws -> PostgresBindings {
        var binds = PostgresBindings()
        binds.append(organization)
        for day in days { binds.append(day) }
        return binds
    }
}
