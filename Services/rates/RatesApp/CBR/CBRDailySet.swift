import Foundation
import ServiceKit

/// One CBR daily set (`XML_daily.asp`): the rates that take effect on `date`, per currency.
package struct CBRDailySet: Sendable, Equatable {
    /// The effective date (`ValCurs Date`), which can be earlier than the day asked for.
    package var date: CalendarDay
    /// Every currency of the set, in CBR's order.
    package var rates: [CBRRate]

    package init(date: CalendarDay, rates: [CBRRate]) {
        self.date = date
        self.rates = rates
    }
}

/// One `Valute` of a daily set.
package struct CBRRate: Sendable, Equatable {
    /// CBR's id (`R01235`); some carry a letter suffix (`R01020A`), so it stays text.
    package var id: String
    /// ISO 4217 numeric code as written (`036`).
    package var numCode: String
    /// ISO 4217 letter code (`USD`).
    package var code: String
    /// How many units `value` is quoted for (1 to 1,000,000).
    package var nominal: Int
    /// The name CBR gives (Russian).
    package var name: String
    /// Price of `nominal` units in RUB, exactly as published.
    package var value: Decimal
    /// Price of one unit in RUB: `value / nominal`, exact (nominals are powers of ten).
    package var rate: Decimal
    /// CBR's own per-unit price, when published; only a cross-check of `rate`.
    package var vunitRate: Decimal?

    package init(
        id: String,
        numCode: String,
        code: String,
        nominal: Int,
        name: String,
        value: Decimal,
        vunitRate: Decimal?
    ) {
        self.id = id
        self.numCode = numCode
        self.code = code
        self.nominal = nominal
        self.name = name
        self.value = value
        self.rate = value / Decimal(nominal)
        self.vunitRate = vunitRate
    }
}

/// Why a CBR answer was not used. Each is logged, recorded in the source status and never stored.
package enum CBRError: Error, Equatable, CustomStringConvertible {
    /// The request did not complete (connection refused, DNS, TLS, timeout).
    case transport(String)
    /// CBR answered with a status other than 200.
    case httpStatus(Int)
    /// The body was empty.
    case emptyBody
    /// The body is not XML: an HTML page (CBR's DDoS protection answers with one) or other text.
    case notXML(String)
    /// The XML is broken or cut short.
    case malformed(String)
    /// Well-formed XML whose root is not the expected `ValCurs`.
    case unexpectedRoot(String)
    /// A `ValCurs` without any currency.
    case emptySet
    /// A value that cannot be right: an unparsable number, a zero nominal, a code that is not ISO 4217.
    case invalidValue(String)
    /// CBR answered with a set dated after the day asked for.
    case unexpectedDate(requested: CalendarDay, answered: CalendarDay)

    /// Whether trying again may help: everything except a client error from CBR.
    package var isRetryable: Bool {
        switch self {
        case .httpStatus(let status): status == 429 || status >= 500
        default: true
        }
    }

    package var description: String {
        switch self {
        case .transport(let detail): "CBR is unreachable: \(detail)"
        case .httpStatus(let status): "CBR answered HTTP \(status)"
        case .emptyBody: "CBR answered with an empty body"
        case .notXML(let what): "CBR answered with \(what) instead of XML"
        case .malformed(let detail): "CBR answered with broken XML: \(detail)"
        case .unexpectedRoot(let root): "CBR answered with <\(root)> instead of <ValCurs>"
        case .emptySet: "CBR answered with a set without currencies"
        case .invalidValue(let detail): "CBR answered with an invalid value: \(detail)"
        case .unexpectedDate(let requested, let answered):
            "CBR answered for \(requested) with a set dated \(answered)"
        }
    }
}
