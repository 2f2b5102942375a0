import Foundation

/// Where a service reads the time of day from, injected into `buildApplication(clock:)` the same way in every
/// service, so that tests set the time instead of depending on the wall clock.
package protocol WallClock: Sendable {
    /// The current instant.
    func now() -> Date
}

/// The system's wall clock: what every service runs with outside tests.
package struct SystemWallClock: WallClock {
    package init() {}

    /// The current instant of the system clock.
    package func now() -> Date { Date() }
}
