import Foundation
import ServiceKit
import Testing

@testable import RatesApp

@Suite("CBR daily parser")
struct CBRParserTests {
    @Test("reads every currency of a real windows-1251 answer, ids with letter suffixes kept as text")
    func everyCurrency() throws {
        let set = try CBRDailyParser.parse(try CBRFixtures.daily())
        #expect(set.date == CBRFixtures.day(3, 17))
        #expect(set.rates.count == 54)
        #expect(Set(set.rates.map(\.code)).count == 54)
        let byCode = Dictionary(uniqueKeysWithValues: set.rates.map { ($0.code, $0) })
        let usd = try #require(byCode["USD"])
        #expect(usd.id == "R01235")
        #expect(usd.numCode == "840")
        #expect(usd.name == "Доллар США")
        #expect(usd.nominal == 1)
        #expect(usd.rate == Decimal(string: "81.0517"))
        #expect(byCode["AUD"]?.numCode == "036")
        #expect(byCode["AZN"]?.id == "R01020A")
        #expect(byCode["BYN"]?.id == "R01090B")
        #expect(byCode["RON"]?.id == "R01585F")
        #expect(byCode["TRY"]?.id == "R01700J")
        #expect(byCode["DZD"]?.name == "Алжирских динаров")
        #expect(set.rates.allSatisfy { !$0.name.isEmpty && $0.vunitRate != nil })
    }

    @Test("computes the rate per unit exactly as Value / Nominal for nominals 1 to 1,000,000")
    func nominals() throws {
        let set = try CBRDailyParser.parse(try CBRFixtures.daily())
        #expect(Set(set.rates.map(\.nominal)) == [1, 10, 100, 1000, 10_000, 1_000_000])
        for rate in set.rates {
            #expect(rate.rate * Decimal(rate.nominal) == rate.value, "\(rate.code)")
            #expect(rate.vunitRate == rate.rate, "\(rate.code): VunitRate agrees with Value/Nominal")
        }
        let byCode = Dictionary(uniqueKeysWithValues: set.rates.map { ($0.code, $0) })
        #expect(byCode["IRR"]?.nominal == 1_000_000)
        #expect(byCode["IRR"]?.value == Decimal(string: "58.8139"))
        #expect(byCode["IRR"]?.rate == Decimal(string: "0.0000588139"))
        #expect(byCode["VND"]?.rate == Decimal(string: "0.00323327"))
        #expect(byCode["DZD"]?.rate == Decimal(string: "0.61182"))
        #expect(byCode["QAR"]?.rate == Decimal(string: "22.267"))
        #expect(byCode["JPY"]?.rate == Decimal(string: "0.508448"))
    }

    @Test("reads comma decimals and scientific notation exactly")
    func numbers() {
        #expect(CBRDailyParser.number("56,7929") == Decimal(string: "56.7929"))
        #expect(CBRDailyParser.number("5,88139E-05") == Decimal(string: "0.0000588139"))
        #expect(CBRDailyParser.number("22,267") == Decimal(string: "22.267"))
        #expect(CBRDailyParser.number("1") == 1)
        #expect(CBRDailyParser.number("1,5e2") == 150)
        for bad in ["", "1,", ",5", "1,2,3", "abc", "1e", "-1,5", "1 000,5", "١,٥"] {
            #expect(CBRDailyParser.number(bad) == nil, "\(bad)")
        }
        #expect(CBRDailyParser.cbrDate("07.03.2026") == CBRFixtures.day(3, 7))
        #expect(CBRDailyParser.cbrDate("30.02.2026") == nil)
        #expect(CBRDailyParser.cbrDate("2026-03-07") == nil)
    }

    @Test("refuses an HTML page instead of XML")
    func html() {
        let page = Data("<!DOCTYPE html>\n<html><body>Проверка браузера</body></html>".utf8)
        #expect(throws: CBRError.notXML("an HTML page")) { try CBRDailyParser.parse(page) }
        #expect(throws: CBRError.notXML("an HTML page")) {
            try CBRDailyParser.parse(Data("  <HTML><p>blocked</p></HTML>".utf8))
        }
        #expect(throws: CBRError.notXML("plain text")) { try CBRDailyParser.parse(Data("Service Unavailable".utf8)) }
    }

    @Test("refuses an empty body")
    func empty() {
        #expect(throws: CBRError.emptyBody) { try CBRDailyParser.parse(Data()) }
        #expect(throws: CBRError.emptyBody) { try CBRDailyParser.parse(Data(" \r\n ".utf8)) }
    }

    @Test("refuses a truncated document")
    func truncated() throws {
        let data = try CBRFixtures.daily()
        for length in [100, data.count / 2, data.count - 5] {
            let error = #expect(throws: CBRError.self) { try CBRDailyParser.parse(data.prefix(length)) }
            guard case .malformed = error else {
                Issue.record("\(length) bytes: expected a malformed document, got \(String(describing: error))")
                continue
            }
        }
    }

    @Test("refuses a document with another root, or a ValCurs without currencies")
    func wrongRoot() throws {
        let error = Data(#"<?xml version="1.0" encoding="windows-1251"?><Error>try later</Error>"#.utf8)
        #expect(throws: CBRError.unexpectedRoot("Error")) { try CBRDailyParser.parse(error) }
        let empty = Data(#"<?xml version="1.0"?><ValCurs Date="17.03.2026" name="Foreign Currency Market"/>"#.utf8)
        #expect(throws: CBRError.emptySet) { try CBRDailyParser.parse(empty) }
        // XML_dynamic.asp has the same root but records, not currencies: it is not a daily set.
        #expect(throws: CBRError.emptySet) { try CBRDailyParser.parse(try CBRFixtures.dynamic()) }
    }

    @Test("refuses impossible values: a zero nominal, a bad code, a VunitRate that disagrees")
    func impossibleValues() throws {
        let original = try #require(String(data: try CBRFixtures.daily(), encoding: .windowsCP1251))
        let cases = [
            "<CharCode>USD</CharCode><Nominal>1</Nominal>": "<CharCode>USD</CharCode><Nominal>0</Nominal>",
            "<CharCode>USD</CharCode>": "<CharCode>usd</CharCode>",
            "<Value>81,0517</Value><VunitRate>81,0517</VunitRate>":
                "<Value>81,0517</Value><VunitRate>8,10517</VunitRate>",
            "<Value>81,0517</Value>": "<Value>81.05.17</Value>",
        ]
        for (valid, broken) in cases {
            let text = original.replacingOccurrences(of: valid, with: broken)
            let data = try #require(text.data(using: .windowsCP1251))
            #expect(throws: CBRError.self, "\(broken)") { try CBRDailyParser.parse(data) }
        }
    }

    @Test("reads a UTF-8 document when the declaration says so")
    func utf8() throws {
        let text =
            #"<?xml version="1.0" encoding="utf-8"?><ValCurs Date="17.03.2026" name="x"><Valute ID="R01235"><NumCode>840</NumCode><CharCode>USD</CharCode><Nominal>1</Nominal><Name>Доллар США</Name><Value>81,0517</Value></Valute></ValCurs>"#
        let set = try CBRDailyParser.parse(Data(text.utf8))
        #expect(set.rates.first?.name == "Доллар США")
        #expect(set.rates.first?.vunitRate == nil)
    }
}
