import Foundation
import Logging
import PostgresNIO
import ServiceKit

/// A stored set as the read path sees it: the rates effective from `date`, and the last day CBR is known to
/// have had no newer set (`validThrough`), which is what makes an answer for a later day trustworthy.
package struct StoredSet: Sendable, Equatable {
    package var date: CalendarDay
    package var validThrough: CalendarDay
    /// Price of one unit of each currency in RUB.
    package var rates: [String: Decimal]
}

/// A currency ever quoted by a stored set, with its details from the newest set that quoted it.
package struct StoredCurrency: Sendable, Equatable {
    package var code: String
    package var cbrID: String
    package var numCode: String
    package var name: String
    package var nominal: Int
    package var firstDate: CalendarDay
    package var lastDate: CalendarDay
}

/// The source status row shared by every replica (it survives restarts).
package struct SourceStatusRow: Sendable, Equatable {
    package var lastAttemptAt: Date?
    package var lastSuccessAt: Date?
    package var lastError: String?
    package var lastErrorAt: Date?
    package var consecutiveFailures: Int

    /// Whether the most recent request to CBR failed.
    package var lastAttemptFailed: Bool { consecutiveFailures > 0 }
}

/// What is stored, in brief: how many sets, the one answering today, and a later one (tomorrow's) if any.
package struct StoredSummary: Sendable, Equatable {
    package var sets: Int
    package var latest: CalendarDay?
    package var latestValidThrough: CalendarDay?
    package var next: CalendarDay?
}

/// The SQL of the rates schema: sets, their rates, the currencies seen, and the source status. Every value
/// is a bound parameter; dates travel as `YYYY-MM-DD` text cast to `date`, rates as `numeric`. It runs on the
/// connection its caller leased, so an answer's reads share one lease and the loader's writes one transaction.
package struct RatesStore: Sendable {
    /// The source name of the status row.
    static let source = "cbr"
    private let logger: Logger

    package init(logger: Logger) {
        self.logger = logger
    }

    // MARK: - Writing

    /// Inserts `set` with all its rates unless a set with its date is already stored; returns whether it was new.
    package func insert(
        _ set: CBRDailySet,
        requested: CalendarDay,
        validThrough: CalendarDay,
        fetchedAt: Date,
        on connection: PostgresConnection
    ) async throws -> Bool {
        let date = set.date.description
        let inserted = try await connection.query(
            """
            INSERT INTO rates.rate_sets (effective_date, requested_date, valid_through, fetched_at, currency_count)
            VALUES (\(date)::date, \(requested.description)::date, \(validThrough.description)::date, \(fetchedAt),
                    \(set.rates.count))
            ON CONFLICT (effective_date) DO NOTHING
            RETURNING 1
            """,
            logger: logger
        )
        var isNew = false
        for try await _ in inserted { isNew = true }
        guard isNew else { return false }

        let codes = set.rates.map(\.code)
        let ids = set.rates.map(\.id)
        let numCodes = set.rates.map(\.numCode)
        let names = set.rates.map(\.name)
        let nominals = set.rates.map(\.nominal)
        let values = set.rates.map { $0.value.description }
        let rates = set.rates.map { $0.rate.description }
        let vunitRates = set.rates.map { $0.vunitRate?.description ?? "" }
        try await connection.query(
            """
            INSERT INTO rates.exchange_rates
                (effective_date, code, cbr_id, num_code, name, nominal, value, rate, vunit_rate, requested_date, fetched_at)
            SELECT \(date)::date, u.code, u.cbr_id, u.num_code, u.name, u.nominal, u.value::numeric, u.rate::numeric,
                   NULLIF(u.vunit_rate, '')::numeric, \(requested.description)::date, \(fetchedAt)
            FROM UNNEST(\(codes)::text[], \(ids)::text[], \(numCodes)::text[], \(names)::text[], \(nominals)::integer[],
                        \(values)::text[], \(rates)::text[], \(vunitRates)::text[])
                AS u(code, cbr_id, num_code, name, nominal, value, rate, vunit_rate)
            """,
            logger: logger
        )
        try await connection.query(
            """
            INSERT INTO rates.currencies AS c (code, cbr_id, num_code, name, nominal, first_date, last_date)
            SELECT u.code, u.cbr_id, u.num_code, u.name, u.nominal, \(date)::date, \(date)::date
            FROM UNNEST(\(codes)::text[], \(ids)::text[], \(numCodes)::text[], \(names)::text[], \(nominals)::integer[])
                AS u(code, cbr_id, num_code, name, nominal)
            ON CONFLICT (code) DO UPDATE SET
                cbr_id = CASE WHEN EXCLUDED.last_date >= c.last_date THEN EXCLUDED.cbr_id ELSE c.cbr_id END,
                num_code = CASE WHEN EXCLUDED.last_date >= c.last_date THEN EXCLUDED.num_code ELSE c.num_code END,
                name = CASE WHEN EXCLUDED.last_date >= c.last_date THEN EXCLUDED.name ELSE c.name END,
                nominal = CASE WHEN EXCLUDED.last_date >= c.last_date THEN EXCLUDED.nominal ELSE c.nominal END,
                first_date = LEAST(c.first_date, EXCLUDED.first_date),
                last_date = GREATEST(c.last_date, EXCLUDED.last_date)
            """,
            logger: logger
        )
        return true
    }

    /// Records that CBR still answered the set of `date` for a day up to `through`: no newer set exists until then.
    package func extendValidity(
        of date: CalendarDay,
        through: CalendarDay,
        on connection: PostgresConnection
    )
        async throws
    {
        try await connection.query(
            """
            UPDATE rates.rate_sets SET valid_through = GREATEST(valid_through, \(through.description)::date)
            WHERE effective_date = \(date.description)::date
            """,
            logger: logger
        )
    }

    // MARK: - Source status

    /// Records a valid answer from CBR at `instant`.
    package func recordSuccess(at instant: Date, on connection: PostgresConnection) async throws {
        try await connection.query(
            """
            INSERT INTO rates.source_status (source, last_attempt_at, last_success_at, consecutive_failures)
            VALUES (\(Self.source), \(instant), \(instant), 0)
            ON CONFLICT (source) DO UPDATE SET
                last_attempt_at = EXCLUDED.last_attempt_at,
                last_success_at = EXCLUDED.last_success_at,
                consecutive_failures = 0
            """,
            logger: logger
        )
    }

    /// Records a failed request to CBR at `instant`, with what went wrong.
    package func recordFailure(_ message: String, at instant: Date, on connection: PostgresConnection) async throws {
        let message = String(message.prefix(1000))
        try await connection.query(
            """
            INSERT INTO rates.source_status (source, last_attempt_at, last_error, last_error_at, consecutive_failures)
            VALUES (\(Self.source), \(instant), \(message), \(instant), 1)
            ON CONFLICT (source) DO UPDATE SET
                last_attempt_at = EXCLUDED.last_attempt_at,
                last_error = EXCLUDED.last_error,
                last_error_at = EXCLUDED.last_error_at,
                consecutive_failures = rates.source_status.consecutive_failures + 1
            """,
            logger: logger
        )
    }

    /// The source status, nil before CBR was ever asked.
    package func status(on connection: PostgresConnection) async throws -> SourceStatusRow? {
        let rows = try await connection.query(
            """
            SELECT last_attempt_at, last_success_at, last_error, last_error_at, consecutive_failures
            FROM rates.source_status WHERE source = \(Self.source)
            """,
            logger: logger
        )
        for try await (attempt, success, error, errorAt, failures) in rows.decode(
            (Date?, Date?, String?, Date?, Int).self
        ) {
            return SourceStatusRow(
                lastAttemptAt: attempt,
                lastSuccessAt: success,
                lastError: error,
                lastErrorAt: errorAt,
                consecutiveFailures: failures
            )
        }
        return nil
    }

    // MARK: - Reading

    /// Whether any set is stored.
    package func hasAnySet(on connection: PostgresConnection) async throws -> Bool {
        let rows = try await connection.query("SELECT EXISTS (SELECT 1 FROM rates.rate_sets)", logger: logger)
        for try await exists in rows.decode(Bool.self) { return exists }
        return false
    }

    /// The date of the stored set effective on `day`, without its rates.
    package func setDate(answering day: CalendarDay, on connection: PostgresConnection) async throws -> CalendarDay? {
        let rows = try await connection.query(
            "SELECT max(effective_date) FROM rates.rate_sets WHERE effective_date <= \(day.description)::date",
            logger: logger
        )
        for try await date in rows.decode(Date?.self) { return date.map { CalendarDay($0) } }
        return nil
    }

    /// The set effective on `day`: the latest stored set dated on or before it.
    package func set(answering day: CalendarDay, on connection: PostgresConnection) async throws -> StoredSet? {
        try await firstSet(
            """
            SELECT s.effective_date, s.valid_through, r.code, r.rate
            FROM rates.rate_sets s JOIN rates.exchange_rates r ON r.effective_date = s.effective_date
            WHERE s.effective_date =
                (SELECT max(effective_date) FROM rates.rate_sets WHERE effective_date <= \(day.description)::date)
            """,
            on: connection
        )
    }

    /// The stored set just before the one dated `date`.
    package func set(before date: CalendarDay, on connection: PostgresConnection) async throws -> StoredSet? {
        try await firstSet(
            """
            SELECT s.effective_date, s.valid_through, r.code, r.rate
            FROM rates.rate_sets s JOIN rates.exchange_rates r ON r.effective_date = s.effective_date
            WHERE s.effective_date =
                (SELECT max(effective_date) FROM rates.rate_sets WHERE effective_date < \(date.description)::date)
            """,
            on: connection
        )
    }

    /// The first set a query of `effective_date, valid_through, code, rate` rows returns.
    private func firstSet(_ query: PostgresQuery, on connection: PostgresConnection) async throws -> StoredSet? {
        try await Self.collect(try await connection.query(query, logger: logger)).first
    }

    /// Every set that answers some day of `from...to`, oldest first: the one effective on `from` and all
    /// later ones up to `to`. With `codes`, only those currencies' rates are read (a set quoting none of them
    /// is still returned, without rates).
    package func sets(
        answering from: CalendarDay,
        through to: CalendarDay,
        codes: [String]?,
        on connection: PostgresConnection
    ) async throws
        -> [StoredSet]
    {
        let filter = codes != nil
        let codes = codes ?? []
        let rows = try await connection.query(
            """
            SELECT s.effective_date, s.valid_through, r.code, r.rate
            FROM rates.rate_sets s
            LEFT JOIN rates.exchange_rates r
                ON r.effective_date = s.effective_date AND (NOT \(filter) OR r.code = ANY(\(codes)::text[]))
            WHERE s.effective_date >= coalesce(
                    (SELECT max(effective_date) FROM rates.rate_sets WHERE effective_date <= \(from.description)::date),
                    \(from.description)::date)
              AND s.effective_date <= \(to.description)::date
            ORDER BY s.effective_date
            """,
            logger: logger
        )
        return try await Self.collect(rows)
    }

    /// Groups rows of `effective_date, valid_through, code, rate` (ordered by date) into sets.
    private static func collect(_ rows: PostgresRowSequence) async throws -> [StoredSet] {
        var sets: [StoredSet] = []
        for try await (date, validThrough, code, rate) in rows.decode((Date, Date, String?, Decimal?).self) {
            let day = CalendarDay(date)
            if sets.last?.date != day {
                sets.append(StoredSet(date: day, validThrough: CalendarDay(validThrough), rates: [:]))
            }
            if let code, let rate { sets[sets.count - 1].rates[code] = rate }
        }
        return sets
    }

    /// Every currency ever quoted, by code.
    package func currencies(on connection: PostgresConnection) async throws -> [StoredCurrency] {
        let rows = try await connection.query(
            """
            SELECT code, cbr_id, num_code, name, nominal, first_date, last_date
            FROM rates.currencies ORDER BY code
            """,
            logger: logger
        )
        var currencies: [StoredCurrency] = []
        for try await (code, id, numCode, name, nominal, first, last) in rows.decode(
            (String, String, String, String, Int, Date, Date).self
        ) {
            currencies.append(
                StoredCurrency(
                    code: code,
                    cbrID: id,
                    numCode: numCode,
                    name: name,
                    nominal: nominal,
                    firstDate: CalendarDay(first),
                    lastDate: CalendarDay(last)
                )
            )
        }
        return currencies
    }

    /// How many sets are stored, the one answering `today` (with how long it is known current) and the first
    /// one after it.
    package func summary(today: CalendarDay, on connection: PostgresConnection) async throws -> StoredSummary {
        let day = today.description
        let rows = try await connection.query(
            """
            WITH s AS (
                SELECT count(*)::bigint AS sets,
                       max(effective_date) FILTER (WHERE effective_date <= \(day)::date) AS latest,
                       min(effective_date) FILTER (WHERE effective_date > \(day)::date) AS next
                FROM rates.rate_sets
            )
            SELECT s.sets, s.latest, r.valid_through, s.next
            FROM s LEFT JOIN rates.rate_sets r ON r.effective_date = s.latest
            """,
            logger: logger
        )
        for try await (count, latest, validThrough, next) in rows.decode((Int, Date?, Date?, Date?).self) {
            return StoredSummary(
                sets: count,
                latest: latest.map { CalendarDay($0) },
                latestValidThrough: validThrough.map { CalendarDay($0) },
                next: next.map { CalendarDay($0) }
            )
        }
        return StoredSummary(sets: 0, latest: nil, latestValidThrough: nil, next: nil)
    }
}
