import ServiceKit

/// Holds readiness back until the first load after start-up has finished (or given up), so a fresh deployment
/// never answers with an empty card: `/health/ready` reports `rates` as loading until then.
package actor InitialLoadGate {
    private var opened = false

    package init() {}

    /// Whether the first load has finished or was abandoned.
    package var isOpen: Bool { opened }

    /// Lets readiness pass from now on.
    package func open() {
        opened = true
    }

    /// Throws while the first load is still running.
    package func check() throws {
        guard opened else { throw InitialLoadPending() }
    }

    /// The readiness check named `rates`.
    package nonisolated var readinessCheck: ReadinessCheck {
        ReadinessCheck("rates") { try await self.check() }
    }
}

/// The readiness failure reported while the first exchange-rate load runs.
package struct InitialLoadPending: Error, CustomStringConvertible {
    package var description: String { "loading the initial exchange rates" }
}
