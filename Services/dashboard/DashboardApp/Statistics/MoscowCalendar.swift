import Foundation
import ServiceKit

/// Months as the business counts them: on the Moscow calendar, whatever the server's time zone (its days are
/// `CalendarDay(moscowDayOf:)`).
struct MoscowCalendar: Sendable {
    private let calendar: Calendar

    init() {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = .moscow
        self.calendar = calendar
    }

    /// The first instant of the month `offset` months from the one containing `date`.
    func monthStart(of date: Date, offset: Int = 0) -> Date {
        let components = calendar.dateComponents([.year, .month], from: date)
        let start = calendar.date(from: components) ?? date
        return calendar.date(byAdding: .month, value: offset, to: start) ?? start
    }

    /// `YYYY-MM` of the month containing `date`.
    func monthName(of date: Date) -> String {
        let components = calendar.dateComponents([.year, .month], from: date)
        return String(format: "%04d-%02d", components.year ?? 1970, components.month ?? 1)
    }
}
