import Foundation

/// Rates for one day: `rates` maps a currency code to the price of one unit of it in `base` (CBR's `Value`
/// already divided by its `Nominal`). `date` is the day the set took effect, `requested_date` the day asked
/// for: a Saturday set answers for Sunday and Monday too.
public struct RatesForDate: Codable, Sendable, Equatable {
    /// The effective date of the set that answers (`YYYY-MM-DD`).
    public var date: String
    /// The day the caller asked about (`YYYY-MM-DD`).
    public var requestedDate: String
    /// The currency the rates are priced in; `RUB` unless the caller asked for cross rates.
    public var base: String
    /// Price of one unit of each currency in `base`, as exact decimals.
    public var rates: [String: Decimal]
    /// True when these rates could not be confirmed as current: the last load from CBR failed, CBR has not
    /// been asked for too long, or no newer set is known not to exist (see `GET /api/exchange-rates/status`).
    public var stale: Bool

    enum CodingKeys: String, CodingKey {
        case date
        case requestedDate = "requested_date"
        case base, rates, stale
    }

    public init(date: String, requestedDate: String, base: String, rates: [String: Decimal], stale: Bool) {
        self.date = date
        self.requestedDate = requestedDate
        self.base = base
        self.rates = rates
        self.stale = stale
    }
}

/// `GET /api/exchange-rates`: the dashboard card. The rates for today plus, under `details`, each
/// currency's name and its change from the previous set.
public struct RatesCard: Codable, Sendable, Equatable {
    public var date: String
    public var requestedDate: String
    public var base: String
    public var rates: [String: Decimal]
    public var stale: Bool
    /// Why the card is stale, in words (absent when it is not), so that a page needs no second call.
    public var staleReason: String?
    /// The effective date of the set before `date`, when one is stored.
    public var previousDate: String?
    /// Per currency of the card: its name and change from the previous set.
    public var details: [String: RatesCardCurrency]

    enum CodingKeys: String, CodingKey {
        case date
        case requestedDate = "requested_date"
        case base, rates, stale
        case staleReason = "stale_reason"
        case previousDate = "previous_date"
        case details
    }

    public init(
        date: String,
        requestedDate: String,
        base: String,
        rates: [String: Decimal],
        stale: Bool,
        staleReason: String? = nil,
        previousDate: String?,
        details: [String: RatesCardCurrency]
    ) {
        self.date = date
        self.requestedDate = requestedDate
        self.base = base
        self.rates = rates
        self.stale = stale
        self.staleReason = staleReason
        self.previousDate = previousDate
        self.details = details
    }
}

/// One currency of the dashboard card.
public struct RatesCardCurrency: Codable, Sendable, Equatable {
    /// CBR's name of the currency (Russian).
    public var name: String
    /// Price of one unit in RUB.
    public var rate: Decimal
    /// Price of one unit in RUB in the previous set; nil when there is none.
    public var previous: Decimal?
    /// `rate - previous`, exact.
    public var change: Decimal?
    /// `change / previous · 100`, rounded half away from zero to 2 decimal places.
    public var changePercent: Decimal?

    enum CodingKeys: String, CodingKey {
        case name, rate, previous, change
        case changePercent = "change_pct"
    }

    public init(name: String, rate: Decimal, previous: Decimal?, change: Decimal?, changePercent: Decimal?) {
        self.name = name
        self.rate = rate
        self.previous = previous
        self.change = change
        self.changePercent = changePercent
    }
}

/// A currency CBR quotes (or RUB, the base).
public struct CurrencyInfo: Codable, Sendable, Equatable {
    /// ISO 4217 letter code (`USD`).
    public var code: String
    /// ISO 4217 numeric code as CBR writes it (`840`, `036`).
    public var numCode: String
    /// CBR's name of the currency (Russian, as given for `nominal` units).
    public var name: String
    /// How many units CBR quotes `Value` for in the latest set.
    public var nominal: Int
    /// CBR's internal id (`R01235`, `R01020A`); nil for RUB.
    public var cbrID: String?
    /// Effective dates of the first and last stored sets quoting it; nil for RUB.
    public var firstDate: String?
    public var lastDate: String?

    enum CodingKeys: String, CodingKey {
        case code
        case numCode = "num_code"
        case name, nominal
        case cbrID = "cbr_id"
        case firstDate = "first_date"
        case lastDate = "last_date"
    }

    public init(
        code: String,
        numCode: String,
        name: String,
        nominal: Int,
        cbrID: String?,
        firstDate: String?,
        lastDate: String?
    ) {
        self.code = code
        self.numCode = numCode
        self.name = name
        self.nominal = nominal
        self.cbrID = cbrID
        self.firstDate = firstDate
        self.lastDate = lastDate
    }
}

/// `GET /api/exchange-rates/convert`: `amount` of `from` expressed in `to` at the rates effective on
/// `requested_date`. `result` is `amount · rate(from) / rate(to)` computed with 38 significant digits and rounded
/// once, half away from zero, to 2 decimal places; `rate` is exact when either side is RUB and otherwise rounded
/// half away from zero to 10 significant digits (the result is computed from the unrounded quotient).
public struct Conversion: Codable, Sendable, Equatable {
    public var from: String
    public var to: String
    public var amount: Decimal
    public var date: String
    public var requestedDate: String
    public var rate: Decimal
    public var result: Decimal
    public var stale: Bool

    enum CodingKeys: String, CodingKey {
        case from, to, amount, date
        case requestedDate = "requested_date"
        case rate, result, stale
    }

    public init(
        from: String,
        to: String,
        amount: Decimal,
        date: String,
        requestedDate: String,
        rate: Decimal,
        result: Decimal,
        stale: Bool
    ) {
        self.from = from
        self.to = to
        self.amount = amount
        self.date = date
        self.requestedDate = requestedDate
        self.rate = rate
        self.result = result
        self.stale = stale
    }
}

/// `GET /api/exchange-rates/status`: the health of the CBR source, shared by every replica.
public struct RatesSourceStatus: Codable, Sendable, Equatable {
    /// Always `cbr`.
    public var source: String
    /// When CBR last answered with a valid document.
    public var lastSuccessAt: Date?
    /// When CBR was last asked.
    public var lastAttemptAt: Date?
    /// When the last failure happened and what it was (kept after a later success, for the record).
    public var lastErrorAt: Date?
    public var lastError: String?
    /// Failed requests since the last success.
    public var consecutiveFailures: Int
    /// Effective date of the set that answers for today (Moscow), if any is stored.
    public var latestDate: String?
    /// Effective date of a stored set that takes effect after today (tomorrow's), if any.
    public var nextDate: String?
    /// How many sets are stored.
    public var storedSets: Int
    /// Whether today's answers are marked stale, and why.
    public var stale: Bool
    public var staleReason: String?

    enum CodingKeys: String, CodingKey {
        case source
        case lastSuccessAt = "last_success_at"
        case lastAttemptAt = "last_attempt_at"
        case lastErrorAt = "last_error_at"
        case lastError = "last_error"
        case consecutiveFailures = "consecutive_failures"
        case latestDate = "latest_date"
        case nextDate = "next_date"
        case storedSets = "stored_sets"
        case stale
        case staleReason = "stale_reason"
    }

    public init(
        source: String,
        lastSuccessAt: Date?,
        lastAttemptAt: Date?,
        lastErrorAt: Date?,
        lastError: String?,
        consecutiveFailures: Int,
        latestDate: String?,
        nextDate: String?,
        storedSets: Int,
        stale: Bool,
        staleReason: String?
    ) {
        self.source = source
        self.lastSuccessAt = lastSuccessAt
        self.lastAttemptAt = lastAttemptAt
        self.lastErrorAt = lastErrorAt
        self.lastError = lastError
        self.consecutiveFailures = consecutiveFailures
        self.latestDate = latestDate
        self.nextDate = nextDate
        self.storedSets = storedSets
        self.stale = stale
        self.staleReason = staleReason
    }
}

/// `POST /api/exchange-rates/load` (admin): `date` to load the set effective on that day; without it, the
/// scheduler's next load runs now.
public struct LoadRatesRequest: Codable, Sendable, Equatable {
    public var date: String?

    public init(date: String? = nil) {
        self.date = date
    }
}

/// The answer of `POST /api/exchange-rates/load`, and the payload of its `rates.loaded` event.
public struct LoadRatesResult: EventPayload, Equatable {
    public static let eventType = "rates.loaded"
    public static let action = EventAction.other

    /// The day CBR was asked about.
    public var requestedDate: String
    /// The effective date of the set CBR answered with.
    public var date: String
    /// Sets this load stored for the first time (empty when everything was already stored).
    public var newSets: [String]

    enum CodingKeys: String, CodingKey {
        case requestedDate = "requested_date"
        case date
        case newSets = "new_sets"
    }

    public init(requestedDate: String, date: String, newSets: [String]) {
        self.requestedDate = requestedDate
        self.date = date
        self.newSets = newSets
    }
}

/// Payload of the durable `rates.published` event: one newly stored CBR set, complete, so a consumer (the
/// dashboard) can keep its own copy without reading the rates service's tables.
public struct RatesPublished: EventPayload, Equatable {
    public static let eventType = "rates.published"
    public static let action = EventAction.create
    /// The event's resource type; the resource id is `date`.
    public static let resourceType = "exchange_rates"

    /// Effective date of the set (`YYYY-MM-DD`).
    public var date: String
    /// Always `RUB`.
    public var base: String
    /// Price of one unit of each currency in RUB, as exact decimal strings (`"81.0517"`).
    public var rates: [String: String]

    public init(date: String, base: String, rates: [String: String]) {
        self.date = date
        self.base = base
        self.rates = rates
    }
}

/// The message of the `rates.updated` pub/sub notification, sent after a new set is committed. Losing one is
/// harmless: caches that listen to it also expire on their own.
public struct RatesUpdated: Codable, Sendable, Equatable {
    /// The channel.
    public static let channel = "rates.updated"

    /// Effective date of the newly stored set.
    public var date: String

    public init(date: String) {
        self.date = date
    }
}
