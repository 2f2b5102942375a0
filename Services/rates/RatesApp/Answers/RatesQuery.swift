import Contracts
import Foundation
import PostgresNIO
import ServiceKit

/// How long an answer stays right: for ever (a past day whose set is known final), or until an instant (the
/// next moment a set can appear or take effect, sooner when the answer is stale).
package enum Freshness: Codable, Sendable, Equatable {
    case immutable
    case until(Date)
}

/// An answer body with its freshness, which the HTTP layer turns into `Cache-Control`.
package struct RatesAnswer<Body: Sendable>: Sendable {
    package var body: Body
    package var freshness: Freshness
}

/// Every read of the rates API, in one place: it turns stored sets and the source status into answer bodies,
/// decides staleness and freshness, and validates symbols against the data. A cache wraps these methods; each
/// answer reads on one leased connection.
package struct RatesQuery: Sendable {
    private let database: Database
    private let store: RatesStore
    private let calendar: RatesCalendar
    private let clock: any WallClock
    private let staleAfter: Duration
    private let cardCurrencies: [String]
    /// How long a stale answer may be cached: it changes as soon as a load succeeds.
    static let staleLifetime: TimeInterval = 60

    package init(
        database: Database,
        store: RatesStore,
        calendar: RatesCalendar,
        clock: any WallClock,
        staleAfter: Duration,
        cardCurrencies: [String]
    ) {
        self.database = database
        self.store = store
        self.calendar = calendar
        self.clock = clock
        self.staleAfter = staleAfter
        self.cardCurrencies = cardCurrencies
    }

    // MARK: - Rates

    /// The rates effective on `day` (today, Moscow, when nil), priced in `base`, limited to `symbols` if given.
    package func rates(
        on day: CalendarDay?,
        symbols: [String]?,
        base: String
    ) async throws
        -> RatesAnswer<RatesForDate>
    {
        try await database.withConnection { connection in
            let now = clock.now()
            let today = calendar.day(of: now)
            let day = day ?? today
            let set = try await requireSet(answering: day, on: connection)
            var errors = Self.unknownCodes(symbols ?? [], field: "symbols", in: set)
            errors += Self.unknownCodes([base], field: "base", in: set)
            if !errors.isEmpty { throw APIError.validation(errors) }
            let status = try await sourceStatus(if: day >= today, on: connection)
            let stale = staleness(of: set, on: day, today: today, status: status, now: now) != nil
            return RatesAnswer(
                body: RatesForDate(
                    date: set.date.description,
                    requestedDate: day.description,
                    base: base,
                    rates: Self.prices(set, base: base, symbols: symbols),
                    stale: stale
                ),
                freshness: freshness(of: set, on: day, today: today, stale: stale, now: now)
            )
        }
    }

    /// One answer per day of `from...to` (oldest first) that a stored set covers.
    package func history(
        from: CalendarDay,
        to: CalendarDay,
        symbols: [String]?,
        base: String
    ) async throws
        -> RatesAnswer<ListPage<RatesForDate>>
    {
        try await database.withConnection { connection in
            let now = clock.now()
            let today = calendar.day(of: now)
            let codes = symbols.map { $0 + [base] }
            let sets = try await store.sets(answering: from, through: to, codes: codes, on: connection)
            guard !sets.isEmpty else {
                if try await store.hasAnySet(on: connection) {
                    throw RatesError.noRates("no exchange rates are stored for \(from) to \(to)")
                }
                throw RatesError.notLoaded
            }
            let quoted = sets.reduce(into: Set([CurrencyCode.ruble])) { codes, set in codes.formUnion(set.rates.keys) }
            var errors = Self.unknownCodes(symbols ?? [], field: "symbols", quoted: quoted)
            errors += Self.unknownCodes([base], field: "base", quoted: quoted)
            if !errors.isEmpty { throw APIError.validation(errors) }
            let status = try await sourceStatus(if: to >= today, on: connection)

            var items: [RatesForDate] = []
            var immutable = true
            var anyStale = false
            var index = 0
            var day = from
            while day <= to {
                while index + 1 < sets.count, sets[index + 1].date <= day { index += 1 }
                let set = sets[index]
                if set.date <= day {
                    guard base == CurrencyCode.ruble || set.rates[base] != nil else {
                        throw APIError.validation([FieldError(field: "base", message: "\(base) has no rate on \(day)")])
                    }
                    let stale = staleness(of: set, on: day, today: today, status: status, now: now) != nil
                    anyStale = anyStale || stale
                    immutable =
                        immutable && freshness(of: set, on: day, today: today, stale: stale, now: now) == .immutable
                    items.append(
                        RatesForDate(
                            date: set.date.description,
                            requestedDate: day.description,
                            base: base,
                            rates: Self.prices(set, base: base, symbols: symbols),
                            stale: stale
                        )
                    )
                }
                day = day.adding(days: 1)
            }
            let page = ListPage(
                items: items,
                page: 1,
                perPage: max(items.count, 1),
                total: items.count,
                nextCursor: nil
            )
            return RatesAnswer(body: page, freshness: immutable ? .immutable : current(stale: anyStale, now: now))
        }
    }

    /// The dashboard card: today's rates of the card currencies and their change from the previous set.
    package func card() async throws -> RatesAnswer<RatesCard> {
        try await database.withConnection { connection in
            let now = clock.now()
            let today = calendar.day(of: now)
            let set = try await requireSet(answering: today, on: connection)
            let previous = try await store.set(before: set.date, on: connection)
            let names = Dictionary(
                uniqueKeysWithValues: try await store.currencies(on: connection).map { ($0.code, $0.name) }
            )
            let status = try await store.status(on: connection)
            let staleReason = staleness(of: set, on: today, today: today, status: status, now: now)
            let stale = staleReason != nil
            var rates: [String: Decimal] = [:]
            var details: [String: RatesCardCurrency] = [:]
            for code in cardCurrencies {
                guard let rate = set.rates[code] else { continue }
                let before = previous?.rates[code]
                rates[code] = rate
                details[code] = RatesCardCurrency(
                    name: names[code] ?? code,
                    rate: rate,
                    previous: before,
                    change: before.map { rate - $0 },
                    changePercent: before.flatMap { RateMath.changePercent(from: $0, to: rate) }
                )
            }
            return RatesAnswer(
                body: RatesCard(
                    date: set.date.description,
                    requestedDate: today.description,
                    base: CurrencyCode.ruble,
                    rates: rates,
                    stale: stale,
                    staleReason: staleReason,
                    previousDate: previous?.date.description,
                    details: details
                ),
                freshness: current(stale: stale, now: now)
            )
        }
    }

    /// `amount` of `from` in `to` at the rates effective on `day` (today when nil).
    package func convert(
        _ amount: Decimal,
        from: String,
        to: String,
        on day: CalendarDay?
    ) async throws
        -> RatesAnswer<Conversion>
    {
        try await database.withConnection { connection in
            let now = clock.now()
            let today = calendar.day(of: now)
            let day = day ?? today
            let set = try await requireSet(answering: day, on: connection)
            let errors =
                Self.unknownCodes([from], field: "from", in: set) + Self.unknownCodes([to], field: "to", in: set)
            guard errors.isEmpty, let converted = RateMath.convert(amount, from: from, to: to, rubles: set.rates) else {
                throw APIError.validation(errors)
            }
            let status = try await sourceStatus(if: day >= today, on: connection)
            let stale = staleness(of: set, on: day, today: today, status: status, now: now) != nil
            return RatesAnswer(
                body: Conversion(
                    from: from,
                    to: to,
                    amount: amount,
                    date: set.date.description,
                    requestedDate: day.description,
                    rate: converted.rate,
                    result: converted.result,
                    stale: stale
                ),
                freshness: freshness(of: set, on: day, today: today, stale: stale, now: now)
            )
        }
    }

    // MARK: - Currencies and status

    /// Every currency ever quoted, RUB first.
    package func currencies() async throws -> RatesAnswer<ListPage<CurrencyInfo>> {
        try await database.withConnection { connection in
            let stored = try await store.currencies(on: connection)
            let ruble = CurrencyInfo(
                code: CurrencyCode.ruble,
                numCode: "643",
                name: "Российский рубль",
                nominal: 1,
                cbrID: nil,
                firstDate: nil,
                lastDate: nil
            )
            let items =
                [ruble]
                + stored.map {
                    CurrencyInfo(
                        code: $0.code,
                        numCode: $0.numCode,
                        name: $0.name,
                        nominal: $0.nominal,
                        cbrID: $0.cbrID,
                        firstDate: $0.firstDate.description,
                        lastDate: $0.lastDate.description
                    )
                }
            let page = ListPage(items: items, page: 1, perPage: items.count, total: items.count, nextCursor: nil)
            return RatesAnswer(body: page, freshness: .until(calendar.nextChange(after: clock.now())))
        }
    }

    /// The health of the CBR source and of today's answers.
    package func status() async throws -> RatesSourceStatus {
        try await database.withConnection { connection in
            let now = clock.now()
            let today = calendar.day(of: now)
            let summary = try await store.summary(today: today, on: connection)
            let status = try await store.status(on: connection)
            var reason: String?
            if let latest = summary.latest, let validThrough = summary.latestValidThrough {
                let set = StoredSet(date: latest, validThrough: validThrough, rates: [:])
                reason = staleness(of: set, on: today, today: today, status: status, now: now)
            } else {
                reason =
                    status?.lastAttemptFailed == true
                    ? "no exchange rates are stored: \(status?.lastError ?? "CBR failed")"
                    : "no exchange rates are stored yet"
            }
            return RatesSourceStatus(
                source: "cbr",
                lastSuccessAt: status?.lastSuccessAt,
                lastAttemptAt: status?.lastAttemptAt,
                lastErrorAt: status?.lastErrorAt,
                lastError: status?.lastError,
                consecutiveFailures: status?.consecutiveFailures ?? 0,
                latestDate: summary.latest?.description,
                nextDate: summary.next?.description,
                storedSets: summary.sets,
                stale: reason != nil,
                staleReason: reason
            )
        }
    }

    // MARK: - Rules

    /// Why the answer `set` gives for `day` may be out of date, or nil when it is trustworthy. A past day is
    /// stale only while CBR has not confirmed that no newer set covers it; today and later days are also stale
    /// while the source is failing or has not answered for `RATES_STALE_AFTER`.
    func staleness(
        of set: StoredSet,
        on day: CalendarDay,
        today: CalendarDay,
        status: SourceStatusRow?,
        now: Date
    ) -> String? {
        if set.validThrough < day {
            return "CBR has not yet confirmed that no set newer than \(set.date) applies to \(day)"
        }
        guard day >= today else { return nil }
        guard let status else { return "CBR has not been asked yet" }
        if status.lastAttemptFailed {
            return "the last request to CBR failed: \(status.lastError ?? "unknown error")"
        }
        let limit = now.addingTimeInterval(-Double(staleAfter.milliseconds) / 1000)
        guard let success = status.lastSuccessAt, success >= limit else {
            return "CBR has not answered since \(status.lastSuccessAt.map(Timestamp.format) ?? "start-up")"
        }
        return nil
    }

    /// Immutable for a past day whose set is known final; otherwise until the next change.
    func freshness(of set: StoredSet, on day: CalendarDay, today: CalendarDay, stale: Bool, now: Date) -> Freshness {
        if day < today, set.validThrough >= day, !stale { return .immutable }
        return current(stale: stale, now: now)
    }

    /// The freshness of an answer about today: until the next change, at most a minute when stale.
    private func current(stale: Bool, now: Date) -> Freshness {
        let next = calendar.nextChange(after: now)
        return .until(stale ? min(next, now.addingTimeInterval(Self.staleLifetime)) : next)
    }

    /// The source status, read only when `needed` (answers about today or later).
    private func sourceStatus(if needed: Bool, on connection: PostgresConnection) async throws -> SourceStatusRow? {
        guard needed else { return nil }
        return try await store.status(on: connection)
    }

    /// The set effective on `day`; 404 before the stored history, 503 when nothing is stored.
    private func requireSet(answering day: CalendarDay, on connection: PostgresConnection) async throws -> StoredSet {
        if let set = try await store.set(answering: day, on: connection) { return set }
        if try await store.hasAnySet(on: connection) {
            throw RatesError.noRates("no exchange rates are stored for \(day) or before")
        }
        throw RatesError.notLoaded
    }

    /// The prices of `symbols` (every quoted currency but `base` when nil) in `base`.
    static func prices(_ set: StoredSet, base: String, symbols: [String]?) -> [String: Decimal] {
        let codes = symbols ?? (Array(set.rates.keys) + [CurrencyCode.ruble]).filter { $0 != base }
        var prices: [String: Decimal] = [:]
        for code in codes {
            if let price = RateMath.rate(of: code, in: base, rubles: set.rates) { prices[code] = price }
        }
        return prices
    }

    /// A field error for each of `codes` that `set` does not quote (RUB always counts as quoted).
    static func unknownCodes(_ codes: [String], field: String, in set: StoredSet) -> [FieldError] {
        codes.filter { $0 != CurrencyCode.ruble && set.rates[$0] == nil }.map {
            FieldError(field: field, message: "\($0) is not quoted by CBR on \(set.date)")
        }
    }

    /// A field error for each of `codes` not among `quoted`.
    static func unknownCodes(_ codes: [String], field: String, quoted: Set<String>) -> [FieldError] {
        codes.filter { !quoted.contains($0) }.map {
            FieldError(field: field, message: "\($0) is not quoted by CBR in this range")
        }
    }
}
