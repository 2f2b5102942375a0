import Foundation
import ServiceKit
import Testing

@testable import RatesApp

@Suite("Rate arithmetic, the Moscow calendar and parameters")
struct RateMathTests {
    static let rubles: [String: Decimal] = [
        "USD": Decimal(string: "81.0517") ?? 0,
        "EUR": Decimal(string: "92.6555") ?? 0,
        "JPY": Decimal(string: "0.508448") ?? 0,
        "IRR": Decimal(string: "0.0000588139") ?? 0,
        "XTS": 2,
    ]

    @Test("rates against RUB are exact and cross rates keep 10 significant digits")
    func crossRates() {
        let rubles = Self.rubles
        #expect(RateMath.rate(of: "USD", in: "RUB", rubles: rubles) == Decimal(string: "81.0517"))
        #expect(RateMath.rate(of: "IRR", in: "RUB", rubles: rubles) == Decimal(string: "0.0000588139"))
        #expect(RateMath.rate(of: "USD", in: "EUR", rubles: rubles) == Decimal(string: "0.8747640453"))
        #expect(RateMath.rate(of: "RUB", in: "EUR", rubles: rubles) == Decimal(string: "0.01079266746"))
        #expect(RateMath.rate(of: "EUR", in: "JPY", rubles: rubles) == Decimal(string: "182.232008"))
        #expect(RateMath.rate(of: "IRR", in: "USD", rubles: rubles) == Decimal(string: "0.000000725634379"))
        #expect(RateMath.rate(of: "EUR", in: "EUR", rubles: rubles) == 1)
        #expect(RateMath.rate(of: "GBP", in: "RUB", rubles: rubles) == nil)
    }

    @Test("a conversion multiplies before dividing and rounds once, half away from zero, to 2 places")
    func conversions() throws {
        let rubles = Self.rubles
        let usd = try #require(RateMath.convert(100, from: "USD", to: "RUB", rubles: rubles))
        #expect(usd.rate == Decimal(string: "81.0517"))
        #expect(usd.result == Decimal(string: "8105.17"))
        let irr = try #require(RateMath.convert(1_000_000, from: "IRR", to: "RUB", rubles: rubles))
        #expect(irr.rate == Decimal(string: "0.0000588139"))
        #expect(irr.result == Decimal(string: "58.81"))
        let eur = try #require(RateMath.convert(100, from: "USD", to: "EUR", rubles: rubles))
        #expect(eur.rate == Decimal(string: "0.8747640453"))
        #expect(eur.result == Decimal(string: "87.48"))
        let yen = try #require(
            RateMath.convert(Decimal(string: "1500.25") ?? 0, from: "EUR", to: "JPY", rubles: rubles)
        )
        #expect(yen.result == Decimal(string: "273393.57"))
        #expect(RateMath.convert(Decimal(string: "0.01") ?? 0, from: "RUB", to: "XTS", rubles: rubles)?.result == 0.01)
        #expect(
            RateMath.convert(Decimal(string: "-0.01") ?? 0, from: "RUB", to: "XTS", rubles: rubles)?.result
                == Decimal(string: "-0.01")
        )
        #expect(RateMath.convert(5, from: "USD", to: "USD", rubles: rubles)?.result == 5)
        #expect(RateMath.convert(1, from: "USD", to: "GBP", rubles: rubles) == nil)
    }

    @Test("rounding helpers")
    func rounding() {
        #expect(
            RateMath.significant(Decimal(string: "123.456789012345") ?? 0, digits: 10) == Decimal(string: "123.456789")
        )
        #expect(RateMath.significant(Decimal(string: "0.5") ?? 0, digits: 10) == Decimal(string: "0.5"))
        #expect(RateMath.rounded(Decimal(string: "2.345") ?? 0, scale: 2) == Decimal(string: "2.35"))
        #expect(
            RateMath.changePercent(from: Decimal(string: "80.2254") ?? 0, to: Decimal(string: "81.0517") ?? 0)
                == Decimal(string: "1.03")
        )
    }

    @Test("days and times are Moscow's; tomorrow is wanted from the publication time on")
    func calendar() {
        let calendar = RatesCalendar(publicationMinute: 15 * 60 + 30)
        #expect(calendar.day(of: CBRFixtures.moscow(3, 17, 0, 30)) == CBRFixtures.day(3, 17))
        #expect(calendar.day(of: CBRFixtures.moscow(3, 16, 23, 59)) == CBRFixtures.day(3, 16))
        #expect(calendar.target(at: CBRFixtures.moscow(3, 17, 15, 29)) == CBRFixtures.day(3, 17))
        #expect(calendar.target(at: CBRFixtures.moscow(3, 17, 15, 30)) == CBRFixtures.day(3, 18))
        #expect(calendar.nextChange(after: CBRFixtures.moscow(3, 17, 9)) == CBRFixtures.moscow(3, 17, 15, 30))
        #expect(calendar.nextChange(after: CBRFixtures.moscow(3, 17, 16)) == CBRFixtures.moscow(3, 18, 0))
        #expect(calendar.mayHaveSet(CBRFixtures.day(3, 14)))
        #expect(!calendar.mayHaveSet(CBRFixtures.day(3, 15)))
        #expect(!calendar.mayHaveSet(CBRFixtures.day(3, 16)))
        #expect(calendar.mayHaveSet(CBRFixtures.day(3, 17)))
    }

    @Test("amounts are plain decimals with a point")
    func amounts() {
        #expect(RatesParameters.amount("100") == 100)
        #expect(RatesParameters.amount("1500.25") == Decimal(string: "1500.25"))
        #expect(RatesParameters.amount("-0.5") == Decimal(string: "-0.5"))
        #expect(RatesParameters.amount("0.12345678") == Decimal(string: "0.12345678"))
        for bad in ["", "abc", "1e5", "1,5", "12abc", ".5", "5.", "NaN", "0.123456789", "1234567890123456789", "+5"] {
            #expect(RatesParameters.amount(bad) == nil, "\(bad)")
        }
    }

    @Test("settings read the publication time and refuse bad values with the variable's name")
    func settings() throws {
        let defaults = try RatesSettings(settings: Settings(environment: [:]).scoped(to: "rates"))
        #expect(defaults.publicationMinute == 15 * 60 + 30)
        #expect(defaults.cbrBaseURL.absoluteString == "https://www.cbr.ru/scripts/")
        #expect(defaults.cardCurrencies == ["USD", "EUR", "CNY"])
        let custom = try RatesSettings(
            settings: Settings(environment: [
                "RATES_PUBLICATION_TIME": "16:05", "CBR_BASE_URL": "http://127.0.0.1:9/cbr",
            ])
            .scoped(to: "rates")
        )
        #expect(custom.publicationMinute == 16 * 60 + 5)
        #expect(custom.cbrBaseURL.absoluteString == "http://127.0.0.1:9/cbr/")
        for (variable, value) in [
            ("RATES_PUBLICATION_TIME", "25:00"), ("CBR_BASE_URL", "ftp://cbr"), ("RATES_CARD_CURRENCIES", "USD,E"),
        ] {
            let error = #expect(throws: ConfigurationError.self) {
                try RatesSettings(settings: Settings(environment: [variable: value]).scoped(to: "rates"))
            }
            #expect(error?.variable == variable)
        }
    }
}
