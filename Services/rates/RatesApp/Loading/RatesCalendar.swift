import Foundation
import ServiceKit

/// The CBR calendar: days and times are Moscow's (CBR publishes in the afternoon, Moscow time, the set that takes
/// effect the next day), and sets are dated Tuesday to Saturday: a Saturday set also covers Sunday and Monday.
package struct RatesCalendar: Sendable {
    /// Minutes after Moscow midnight from which tomorrow's set may be published.
    package let publicationMinute: Int

    package init(publicationMinute: Int) {
        self.publicationMinute = publicationMinute
    }

    /// The Moscow calendar day `instant` falls on.
    package func day(of instant: Date) -> CalendarDay {
        CalendarDay(moscowDayOf: instant)
    }

    /// The instant `minute` minutes after Moscow midnight starting `day`.
    package func instant(_ day: CalendarDay, minute: Int = 0) -> Date {
        let utcMidnight = day.start
        let offset = TimeZone.moscow.secondsFromGMT(for: utcMidnight)
        return utcMidnight.addingTimeInterval(Double(minute * 60 - offset))
    }

    /// Whether tomorrow's set may already be published at `instant`.
    package func isAfterPublication(_ instant: Date) -> Bool {
        isAfterPublication(instant, today: day(of: instant))
    }

    /// Whether tomorrow's set may already be published at `instant`, which falls on `today` (Moscow).
    package func isAfterPublication(_ instant: Date, today: CalendarDay) -> Bool {
        instant >= self.instant(today, minute: publicationMinute)
    }

    /// The day whose set the scheduler wants at `instant`: tomorrow from the publication time on, else today.
    package func target(at instant: Date) -> CalendarDay {
        let today = day(of: instant)
        return isAfterPublication(instant, today: today) ? today.adding(days: 1) : today
    }

    /// The next instant after `instant` at which answers about "today" can change: today's publication time
    /// (tomorrow's set may appear, or its load fail), else the next Moscow midnight (a stored set takes effect).
    package func nextChange(after instant: Date) -> Date {
        let today = day(of: instant)
        let publication = self.instant(today, minute: publicationMinute)
        return instant < publication ? publication : self.instant(today.adding(days: 1))
    }

    /// Whether CBR publishes sets dated `day`: Tuesday to Saturday (holidays aside, which only CBR knows).
    package func mayHaveSet(_ day: CalendarDay) -> Bool {
        let weekday = Self.gregorian.component(.weekday, from: day.start)
        return weekday != 1 && weekday != 2
    }

    private static let gregorian: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = .gmt
        return calendar
    }()
}
