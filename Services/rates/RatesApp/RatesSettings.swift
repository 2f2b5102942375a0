import Contracts
import Foundation
import ServiceKit

/// The rates service's own settings.
package struct RatesSettings: Sendable {
    /// `CBR_BASE_URL` (default `https://www.cbr.ru/scripts/`): where `XML_daily.asp` is; tests point it at a fake.
    package var cbrBaseURL: URL
    /// `CBR_TIMEOUT` (default 10 s): one request to CBR, connection included.
    package var cbrTimeout: Duration
    /// `CBR_ATTEMPTS` (default 3): tries per request before a load counts as failed.
    package var cbrAttempts: Int
    /// `CBR_RETRY_DELAY` (default 1 s): first back-off between tries of one request (doubling, with jitter).
    package var cbrRetryDelay: Duration
    /// `CBR_USER_AGENT`: the `User-Agent` sent to CBR.
    package var cbrUserAgent: String
    /// `RATES_PUBLICATION_TIME` (default `15:30`, Moscow time): from then on the scheduler loads tomorrow's set.
    package var publicationMinute: Int
    /// `RATES_RETRY_DELAY` (default 2 min): first back-off while tomorrow's set has not appeared or CBR fails.
    package var retryDelay: Duration
    /// `RATES_RETRY_MAX_DELAY` (default 30 min): longest back-off between the scheduler's attempts.
    package var retryMaxDelay: Duration
    /// `RATES_BACKFILL_DAYS` (default 30): history loaded at first start, and how far back catch-up reaches.
    package var backfillDays: Int
    /// `RATES_STARTUP_TIMEOUT` (default 60 s): longest wait for the first backfill before reporting ready anyway.
    package var startupTimeout: Duration
    /// `RATES_LEASE_TTL` (default 60 s): lifetime of the scheduler's Redis lease; the holder renews it.
    package var leaseTTL: Duration
    /// `RATES_LEASE_NAME` (default `rates.scheduler`): the Redis lease (`lease:<name>`) replicas compete for.
    package var leaseName: String
    /// `RATES_UPDATED_CHANNEL` (default `rates.updated`): the pub/sub channel announcing a new set.
    package var updatesChannel: String
    /// `RATES_STALE_AFTER` (default 30 h): current answers are stale when CBR has not answered for this long.
    package var staleAfter: Duration
    /// `RATES_CARD_CURRENCIES` (default `USD,EUR,CNY`): the currencies of the dashboard card.
    package var cardCurrencies: [String]
    /// `RATES_HISTORY_MAX_DAYS` (default 366): the longest range `history` answers.
    package var historyMaxDays: Int

    /// The `User-Agent` used when `CBR_USER_AGENT` is unset.
    package static let defaultUserAgent = "quoting-platform-rates/1.0 (+https://www.cbr.ru/development/SXML/)"

    package init(settings: Settings) throws {
        let base = settings.string("CBR_BASE_URL", default: "https://www.cbr.ru/scripts/")
        let normalized = base.hasSuffix("/") ? base : base + "/"
        guard let url = URL(string: normalized), let scheme = url.scheme?.lowercased(),
            scheme == "http" || scheme == "https", url.host != nil
        else {
            throw ConfigurationError(
                variable: settings.raw("CBR_BASE_URL")?.variable ?? "CBR_BASE_URL",
                value: base,
                expected: "an http(s) URL such as https://www.cbr.ru/scripts/"
            )
        }
        cbrBaseURL = url
        cbrTimeout = try settings.duration(
            "CBR_TIMEOUT",
            default: .seconds(10),
            in: .milliseconds(100) ... .seconds(120)
        )
        cbrAttempts = try settings.int("CBR_ATTEMPTS", default: 3, in: 1...10)
        cbrRetryDelay = try settings.duration(
            "CBR_RETRY_DELAY",
            default: .seconds(1),
            in: .milliseconds(1) ... .seconds(60)
        )
        cbrUserAgent = settings.string("CBR_USER_AGENT", default: Self.defaultUserAgent)
        let publication = settings.string("RATES_PUBLICATION_TIME", default: "15:30")
        guard let minute = Self.minuteOfDay(publication) else {
            throw ConfigurationError(
                variable: settings.raw("RATES_PUBLICATION_TIME")?.variable ?? "RATES_PUBLICATION_TIME",
                value: publication,
                expected: "a Moscow time of day HH:MM such as 15:30"
            )
        }
        publicationMinute = minute
        retryDelay = try settings.duration(
            "RATES_RETRY_DELAY",
            default: .seconds(120),
            in: .milliseconds(1) ... .seconds(3600)
        )
        retryMaxDelay = try settings.duration(
            "RATES_RETRY_MAX_DELAY",
            default: .seconds(1800),
            in: .milliseconds(1) ... .seconds(6 * 3600)
        )
        backfillDays = try settings.int("RATES_BACKFILL_DAYS", default: 30, in: 0...366)
        startupTimeout = try settings.duration(
            "RATES_STARTUP_TIMEOUT",
            default: .seconds(60),
            in: .zero ... .seconds(600)
        )
        leaseTTL = try settings.duration("RATES_LEASE_TTL", default: .seconds(60), in: .seconds(1) ... .seconds(3600))
        leaseName = settings.string("RATES_LEASE_NAME", default: "rates.scheduler")
        updatesChannel = settings.string("RATES_UPDATED_CHANNEL", default: RatesUpdated.channel)
        staleAfter = try settings.duration(
            "RATES_STALE_AFTER",
            default: .seconds(30 * 3600),
            in: .seconds(60) ... .seconds(30 * 86_400)
        )
        let card = settings.list("RATES_CARD_CURRENCIES", default: ["USD", "EUR", "CNY"]).map { $0.uppercased() }
        guard !card.isEmpty, card.allSatisfy(CurrencyCode.isWellFormed) else {
            throw ConfigurationError(
                variable: settings.raw("RATES_CARD_CURRENCIES")?.variable ?? "RATES_CARD_CURRENCIES",
                value: card.joined(separator: ","),
                expected: "comma-separated ISO 4217 codes such as USD,EUR,CNY"
            )
        }
        cardCurrencies = card
        historyMaxDays = try settings.int("RATES_HISTORY_MAX_DAYS", default: 366, in: 1...3660)
    }

    /// `HH:MM` as minutes after midnight, or nil.
    static func minuteOfDay(_ text: String) -> Int? {
        let parts = text.trimmingCharacters(in: .whitespaces).split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0].count == 2, parts[1].count == 2, let hour = Int(parts[0]),
            let minute = Int(parts[1]), (0..<24).contains(hour), (0..<60).contains(minute)
        else { return nil }
        return hour * 60 + minute
    }
}
