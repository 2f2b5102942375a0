import Contracts
import Foundation
import ServiceKit

/// The arithmetic of answers, in `Decimal` (38 significant digits), with every rounding in one place:
///
/// - rates against RUB are CBR's `Value / Nominal`, exact, never rounded;
/// - cross rates (`base` other than RUB) are quotients rounded half away from zero to 10 significant digits;
/// - a conversion is `amount · rate(from) / rate(to)` from the unrounded figures, rounded once, half away from
///   zero, to 2 decimal places; its `rate` is shown exact against RUB and to 10 significant digits otherwise;
/// - the card's change in percent is rounded half away from zero to 2 decimal places.
package enum RateMath {
    /// Significant digits kept in cross rates.
    package static let crossRateDigits = 10
    /// Decimal places of a conversion result.
    package static let resultScale = 2

    /// The price of one unit of `code` in `base`, given prices in RUB; nil when either is not quoted.
    package static func rate(of code: String, in base: String, rubles: [String: Decimal]) -> Decimal? {
        guard let price = Self.price(of: code, rubles), let basePrice = Self.price(of: base, rubles) else { return nil }
        if code == base { return 1 }
        if base == CurrencyCode.ruble { return price }
        return significant(price / basePrice, digits: crossRateDigits)
    }

    /// `amount` of `from` in `to`: the shown rate and the rounded result; nil when either is not quoted.
    package static func convert(
        _ amount: Decimal,
        from: String,
        to: String,
        rubles: [String: Decimal]
    ) -> (rate: Decimal, result: Decimal)? {
        guard let fromPrice = price(of: from, rubles), let toPrice = price(of: to, rubles),
            let rate = rate(of: from, in: to, rubles: rubles)
        else { return nil }
        let exact = from == to ? amount : (amount * fromPrice) / toPrice
        return (rate, rounded(exact, scale: resultScale))
    }

    /// `change / previous · 100` rounded to 2 decimal places.
    package static func changePercent(from previous: Decimal, to current: Decimal) -> Decimal? {
        guard previous != 0 else { return nil }
        return rounded((current - previous) / previous * 100, scale: 2)
    }

    /// `value` rounded half away from zero to `scale` decimal places.
    package static func rounded(_ value: Decimal, scale: Int) -> Decimal {
        value.rounded(scale: scale)
    }

    /// `value` rounded half away from zero to `digits` significant digits.
    package static func significant(_ value: Decimal, digits: Int) -> Decimal {
        guard value != 0, value.isFinite else { return value }
        let significandDigits = abs(value.significand).description.count
        let integerDigits = significandDigits + value.exponent
        let scale = digits - integerDigits
        guard scale < -value.exponent else { return value }
        return rounded(value, scale: scale)
    }

    /// The price of one unit of `code` in RUB.
    private static func price(of code: String, _ rubles: [String: Decimal]) -> Decimal? {
        code == CurrencyCode.ruble ? 1 : rubles[code]
    }
}
