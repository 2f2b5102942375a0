import Foundation
import ServiceKit
import Testing

@testable import RatesApp

/// The real CBR answers in `Fixtures/` (see its README), read from disk, and daily sets derived from them for
/// the fake server: the 17 March 2026 set re-dated, with the USD rate CBR published on that date.
enum CBRFixtures {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    /// The bytes of a fixture file, as CBR sent them (windows-1251).
    static func data(_ name: String) throws -> Data {
        try Data(contentsOf: folder.appendingPathComponent(name))
    }

    /// `XML_daily.asp?date_req=17/03/2026`.
    static func daily() throws -> Data { try data("XML_daily_date_req_17-03-2026.xml") }

    /// `XML_dynamic.asp` for USD, 1 to 17 March 2026.
    static func dynamic() throws -> Data { try data("XML_dynamic_R01235_USD_01-03-2026_17-03-2026.xml") }

    /// The dates CBR published a set for in March 2026 and the USD rate of each, from the dynamic fixture: the
    /// real calendar, with its weekends and the 8 March holiday.
    static func usdRecords() throws -> [(date: CalendarDay, value: String, vunitRate: String)] {
        let text = String(decoding: try dynamic(), as: UTF8.self)
        let pattern =
            /<Record Date="([0-9.]+)" Id="R01235"><Nominal>1<\/Nominal><Value>([0-9,]+)<\/Value><VunitRate>([0-9,E-]+)<\/VunitRate>/
        return try text.matches(of: pattern).map { match in
            let date = try #require(CBRDailyParser.cbrDate(String(match.output.1)))
            return (date, String(match.output.2), String(match.output.3))
        }
    }

    /// The 17 March set dated `date` instead, with `usd` (and its `VunitRate`) as the USD value.
    static func dailySet(on date: CalendarDay, usd: (value: String, vunitRate: String)) throws -> Data {
        let original = try #require(String(data: try daily(), encoding: .windowsCP1251))
        let cbrDate = String(format: "%02d.%02d.%04d", date.day, date.month, date.year)
        let text =
            original
            .replacingOccurrences(of: "Date=\"17.03.2026\"", with: "Date=\"\(cbrDate)\"")
            .replacingOccurrences(
                of: "<Value>81,0517</Value><VunitRate>81,0517</VunitRate>",
                with: "<Value>\(usd.value)</Value><VunitRate>\(usd.vunitRate)</VunitRate>"
            )
        return try #require(text.data(using: .windowsCP1251))
    }

    /// Every March 2026 set as CBR published it (USD from the dynamic fixture, the rest as on 17 March).
    static func march2026() throws -> [CalendarDay: Data] {
        var sets: [CalendarDay: Data] = [:]
        for record in try usdRecords() {
            sets[record.date] = try dailySet(on: record.date, usd: (record.value, record.vunitRate))
        }
        return sets
    }

    /// A day of 2026.
    static func day(_ month: Int, _ day: Int) -> CalendarDay {
        CalendarDay(year: 2026, month: month, day: day) ?? CalendarDay(Date(timeIntervalSince1970: 0))
    }

    /// The instant `hour:minute` Moscow time (UTC+3) on `month`/`day` 2026.
    static func moscow(_ month: Int, _ day: Int, _ hour: Int, _ minute: Int = 0) -> Date {
        self.day(month, day).start.addingTimeInterval(Double((hour - 3) * 3600 + minute * 60))
    }
}
