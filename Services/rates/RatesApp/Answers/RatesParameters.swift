import Contracts
import Foundation
import ServiceKit

extension QueryParameters {
    /// A calendar day `YYYY-MM-DD`.
    mutating func day(_ name: String) -> CalendarDay? {
        guard let value = raw(name) else { return nil }
        guard let day = RatesParameters.day(value) else {
            reject(name, RatesParameters.dayMessage)
            return nil
        }
        return day
    }

    /// One currency code, in any letter case.
    mutating func currency(_ name: String) -> String? {
        guard let value = raw(name) else { return nil }
        let code = value.uppercased()
        guard CurrencyCode.isWellFormed(code) else {
            reject(name, "must be a three-letter currency code such as USD")
            return nil
        }
        return code
    }

    /// A comma-separated list of currency codes, duplicates dropped, order kept.
    mutating func currencies(_ name: String) -> [String]? {
        guard let value = raw(name) else { return nil }
        let codes = value.split(separator: ",", omittingEmptySubsequences: false).map {
            $0.trimmingOptionalWhitespace.uppercased()
        }
        guard codes.count <= RatesParameters.maxSymbols else {
            reject(name, "must list at most \(RatesParameters.maxSymbols) currencies")
            return nil
        }
        let malformed = codes.filter { !CurrencyCode.isWellFormed($0) }
        guard malformed.isEmpty else {
            reject(name, "must be currency codes separated by commas, such as USD,EUR (not \(malformed.first ?? ""))")
            return nil
        }
        var seen: Set<String> = []
        return codes.filter { seen.insert($0).inserted }
    }

    /// A decimal amount written with a point: an optional minus, up to 18 digits, up to 8 decimal places.
    mutating func amount(_ name: String) -> Decimal? {
        guard let value = raw(name) else { return nil }
        guard let amount = RatesParameters.amount(value) else {
            reject(name, "must be a decimal number such as 1500.25 (up to 18 digits and 8 decimal places)")
            return nil
        }
        return amount
    }

    /// Records `name` as missing.
    mutating func require(_ name: String) {
        reject(name, "is required")
    }
}

/// Parsing rules shared by query and path parameters.
enum RatesParameters {
    static let maxSymbols = 100
    static let dayMessage = "must be a date YYYY-MM-DD"

    /// A date `YYYY-MM-DD` that exists.
    static func day(_ text: String) -> CalendarDay? {
        CalendarDay(text)
    }

    /// A plain decimal: `-?digits(.digits)?`, with at most 18 integer and 8 fraction digits.
    static func amount(_ text: String) -> Decimal? {
        var digits = Substring(text)
        if digits.hasPrefix("-") { digits = digits.dropFirst() }
        let parts = digits.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard let integer = parts.first, (1...18).contains(integer.count),
            integer.allSatisfy({ $0.isASCII && $0.isNumber })
        else { return nil }
        if parts.count == 2 {
            let fraction = parts[1]
            guard (1...8).contains(fraction.count), fraction.allSatisfy({ $0.isASCII && $0.isNumber }) else {
                return nil
            }
        }
        return Decimal(string: text, locale: Locale(identifier: "en_US_POSIX"))
    }
}
