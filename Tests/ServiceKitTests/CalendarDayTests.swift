import Contracts
import Foundation
import ServiceKit
import Testing

@Suite("Calendar days: parsing and the Moscow day")
struct CalendarDayTests {
    @Test(
        "only YYYY-MM-DD of digits naming a day that exists is a day",
        arguments: [
            "2026-+1-+5", "+202-01-01", "2026-02-30", "2026-1-05", "2026-01-05 ", " 2026-01-05", "2026-01-5x",
            "0000-01-01", "2026/01/05", "",
        ]
    )
    func refused(text: String) {
        #expect(CalendarDay(text) == nil)
    }

    @Test("a day reads back as it was written, leap days included")
    func roundTrip() {
        for text in ["2026-01-05", "2024-02-29", "9999-12-31", "0001-01-01"] {
            #expect(CalendarDay(text)?.description == text)
        }
    }

    @Test("the Moscow day of an instant is UTC+3's, across midnight either way")
    func moscow() throws {
        let evening = try #require(Timestamp.parse("2026-03-16T20:59:59Z"))
        let midnight = try #require(Timestamp.parse("2026-03-16T21:00:00Z"))
        #expect(CalendarDay(moscowDayOf: evening).description == "2026-03-16")
        #expect(CalendarDay(moscowDayOf: midnight).description == "2026-03-17")
        #expect(CalendarDay(evening).description == "2026-03-16")
    }
}
