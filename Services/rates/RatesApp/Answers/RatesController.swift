import Contracts
import Foundation
import Hummingbird
import Logging
import ServiceKit
import Synchronization

/// `GET /api/exchange-rates[/latest|/{date}|/history|/currencies|/convert|/status]` for any signed-in user and
/// `POST /api/exchange-rates/load` for admins. Reads go through ``RatesQuery``; every bad parameter is a 422
/// listing each field.
struct RatesController: Sendable {
    let query: RatesQuery
    let loader: RatesLoader
    let database: Database
    let events: EventRecorder
    let calendar: RatesCalendar
    let clock: any WallClock
    let settings: RatesSettings
    let answers: RatesAnswerCache
    let period = AnswerPeriod()
    /// The earliest day CBR has daily sets for.
    static let firstCBRDay = CalendarDay(year: 1992, month: 7, day: 1)

    /// Registers the routes: reads for any signed-in user, the load for admins.
    func addRoutes(to router: Router<ServiceRequestContext>) {
        let reads = router.group("api/exchange-rates").add(middleware: RequireRoleMiddleware())
        reads.get(use: card)
        reads.get("latest", use: latest)
        reads.get("history", use: history)
        reads.get("currencies", use: currencies)
        reads.get("convert", use: convert)
        reads.get("status", use: status)
        reads.get("{date}", use: onDate)
        router.group("api/exchange-rates").add(middleware: RequireRoleMiddleware(.admin)).post("load", use: load)
    }

    // MARK: - Reads

    /// `GET /api/exchange-rates`: the dashboard card.
    @Sendable func card(_ request: Request, context: ServiceRequestContext) async throws -> Response {
        return try await respond("card", request) { try await query.card() }
    }

    /// `GET /api/exchange-rates/latest?symbols=&base=`: the rates effective today (Moscow).
    @Sendable func latest(_ request: Request, context: ServiceRequestContext) async throws -> Response {
        var parameters = QueryParameters(request)
        let symbols = parameters.currencies("symbols")
        let base = parameters.currency("base") ?? CurrencyCode.ruble
        try parameters.validate()
        return try await respond("latest|\(base)|\(Self.key(symbols))", request) {
            try await query.rates(on: nil, symbols: symbols, base: base)
        }
    }

    /// `GET /api/exchange-rates/{YYYY-MM-DD}?symbols=&base=`: the rates effective on that day.
    @Sendable func onDate(_ request: Request, context: ServiceRequestContext) async throws -> Response {
        var parameters = QueryParameters(request)
        let day = context.parameters.get("date").flatMap(RatesParameters.day)
        if day == nil { parameters.reject("date", RatesParameters.dayMessage) }
        let symbols = parameters.currencies("symbols")
        let base = parameters.currency("base") ?? CurrencyCode.ruble
        try parameters.validate()
        return try await respond("day|\(day?.description ?? "")|\(base)|\(Self.key(symbols))", request) {
            try await query.rates(on: day, symbols: symbols, base: base)
        }
    }

    /// `GET /api/exchange-rates/history?from=&to=&symbols=&base=`: one answer per day, at most
    /// `RATES_HISTORY_MAX_DAYS` days.
    @Sendable func history(_ request: Request, context: ServiceRequestContext) async throws -> Response {
        var parameters = QueryParameters(request)
        let from = parameters.day("from")
        let to = parameters.day("to")
        if parameters.raw("from") == nil { parameters.require("from") }
        if parameters.raw("to") == nil { parameters.require("to") }
        let symbols = parameters.currencies("symbols")
        let base = parameters.currency("base") ?? CurrencyCode.ruble
        if let from, let to {
            if from > to {
                parameters.reject("from", "must not be after to")
            } else if from.adding(days: settings.historyMaxDays) <= to {
                parameters.reject(
                    "to",
                    "must be at most \(settings.historyMaxDays - 1) days after from (the range covers at most \(settings.historyMaxDays) days)"
                )
            }
        }
        try parameters.validate()
        guard let from, let to else { throw APIError.badRequest("from and to are required") }
        return try await respond("history|\(from)|\(to)|\(base)|\(Self.key(symbols))", request) {
            try await query.history(from: from, to: to, symbols: symbols, base: base)
        }
    }

    /// `GET /api/exchange-rates/currencies`: RUB and every currency CBR has quoted.
    @Sendable func currencies(_ request: Request, context: ServiceRequestContext) async throws -> Response {
        return try await respond("currencies", request) { try await query.currencies() }
    }

    /// `GET /api/exchange-rates/convert?from=&to=&amount=&date=`: an exact conversion (see ``RateMath``).
    @Sendable func convert(_ request: Request, context: ServiceRequestContext) async throws -> Response {
        var parameters = QueryParameters(request)
        let from = parameters.currency("from")
        let to = parameters.currency("to")
        let amount = parameters.amount("amount")
        let day = parameters.day("date")
        for name in ["from", "to", "amount"] where parameters.raw(name) == nil { parameters.require(name) }
        try parameters.validate()
        guard let from, let to, let amount else { throw APIError.badRequest("from, to and amount are required") }
        return try await respond("convert|\(from)|\(to)|\(amount)|\(day?.description ?? "")", request) {
            try await query.convert(amount, from: from, to: to, on: day)
        }
    }

    /// `GET /api/exchange-rates/status`: the health of the CBR source, never cached.
    @Sendable func status(_ request: Request, context: ServiceRequestContext) async throws -> Response {
        try RatesResponse.uncached(try await query.status())
    }

    /// Answers from the cache (rendered bytes with their ETag), loading through ``RatesQuery`` on a miss.
    private func respond<Body: Encodable & Sendable>(
        _ key: String,
        _ request: Request,
        load: @escaping @Sendable () async throws -> RatesAnswer<Body>
    ) async throws -> Response {
        // Answers change only when a set is stored (which drops the cache), at the publication time and at
        // midnight: keying by the Moscow day and the side of the publication time means an entry is never
        // served past either, whatever its TTL.
        let answer = try await answers.answer(
            period.key(at: clock.now(), calendar: calendar) + "|" + key,
            now: { clock.now() },
            load: load
        )
        return RatesResponse.make(answer, request: request, now: clock.now())
    }

    /// The part of a cache key that names the requested symbols, in a canonical order.
    static func key(_ symbols: [String]?) -> String {
        symbols.map { $0.sorted().joined(separator: ",") } ?? "*"
    }

    // MARK: - Admin

    /// Loads `date` (or, without it, what the scheduler would load now) at once, and records who asked.
    @Sendable func load(_ request: Request, context: ServiceRequestContext) async throws -> Response {
        let requested = try await requestedDay(request, context: context)
        let now = clock.now()
        let today = calendar.day(of: now)
        let outcome: LoadOutcome
        do {
            if let requested {
                outcome = try await loader.sync(target: requested, floor: requested)
            } else {
                outcome = try await loader.sync(
                    target: calendar.target(at: now),
                    floor: today.adding(days: -settings.backfillDays)
                )
            }
        } catch let error as CBRError {
            context.logger.warning("requested exchange-rate load failed", metadata: ["error": "\(error)"])
            throw RatesError.sourceFailed(error.description)
        }
        let result = LoadRatesResult(
            requestedDate: outcome.requested.description,
            date: outcome.answered.description,
            newSets: outcome.newSets.map(\.description)
        )
        try await database.withTransaction { connection in
            try await events.record(
                result,
                resource: EventResource(type: RatesPublished.resourceType, id: result.requestedDate),
                context: context,
                on: connection
            )
        }
        return try RatesResponse.uncached(result)
    }

    /// The optional `{"date": "YYYY-MM-DD"}` body: absent or empty means "now"; a day must be CBR's history
    /// (from 1992-07-01) up to tomorrow, Moscow time.
    private func requestedDay(_ request: Request, context: ServiceRequestContext) async throws -> CalendarDay? {
        let buffer = try await request.body.collect(upTo: context.maxUploadSize)
        guard buffer.readableBytes > 0 else { return nil }
        let body = try await Request(head: request.head, body: .init(buffer: buffer))
            .decode(as: LoadBody.self, context: context)
        guard let day = body.date else { return nil }
        let tomorrow = calendar.day(of: clock.now()).adding(days: 1)
        if let first = Self.firstCBRDay, day < first {
            throw APIError.validation([
                FieldError(field: "date", message: "must be on or after \(first), the start of CBR's daily rates")
            ])
        }
        guard day <= tomorrow else {
            throw APIError.validation([
                FieldError(field: "date", message: "must not be after \(tomorrow), tomorrow in Moscow")
            ])
        }
        return day
    }
}

/// The body of `POST /api/exchange-rates/load`: the day to load, or none for now. Whether CBR has that day is
/// the controller's to check, against the clock.
struct LoadBody: Decodable {
    let date: CalendarDay?

    init(from decoder: any Decoder) throws {
        var body = try JSONBody(from: decoder, allowed: ["date"])
        let text = body.string("date", required: false, maxLength: 10)
        date = text.flatMap(RatesParameters.day)
        if text != nil && date == nil { body.reject("date", RatesParameters.dayMessage) }
        try body.validate()
    }
}

/// The Moscow day and the side of the publication time an instant falls on, as the part of a cache key that
/// says when an answer was made; remembered until either changes, since every read needs it and computing it
/// takes calendar arithmetic.
final class AnswerPeriod: Sendable {
    private let known = Mutex<(start: Date, end: Date, key: String)?>(nil)

    /// The key part for `now`: `YYYY-MM-DD|before` or `YYYY-MM-DD|after`.
    func key(at now: Date, calendar: RatesCalendar) -> String {
        if let known = known.withLock({ $0 }), known.start <= now, now < known.end { return known.key }
        let today = calendar.day(of: now)
        let after = calendar.isAfterPublication(now, today: today)
        let start = calendar.instant(today, minute: after ? calendar.publicationMinute : 0)
        let computed = (
            start: start, end: calendar.nextChange(after: now), key: "\(today)|\(after ? "after" : "before")"
        )
        known.withLock { $0 = computed }
        return computed.key
    }
}
