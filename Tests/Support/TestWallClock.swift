import Foundation
import ServiceKit
import Synchronization

/// A wall clock the test sets by hand.
package final class TestWallClock: WallClock {
    private let instant: Mutex<Date>

    package init(_ instant: Date) {
        self.instant = Mutex(instant)
    }

    package func now() -> Date { instant.withLock { $0 } }

    /// Moves the clock to `instant`.
    package func set(_ instant: Date) { self.instant.withLock { $0 = instant } }
}
