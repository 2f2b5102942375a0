import ServiceKit

/// The dashboard service's own settings.
package struct DashboardSettings: Sendable {
    /// `DASHBOARD_CACHE_TTL` (default 5 min): how long computed figures are reused when nothing changes.
    package var cacheTTL: Duration
    /// `DASHBOARD_BATCH_SIZE` (default 200): events applied to the projection per transaction.
    package var batchSize: Int
    /// `DASHBOARD_FLUSH_INTERVAL` (default 100 ms): longest wait before a partial batch is applied, which
    /// bounds how stale the figures can be after an event.
    package var flushInterval: Duration

    package init(settings: Settings) throws {
        cacheTTL = try settings.duration(
            "DASHBOARD_CACHE_TTL",
            default: .seconds(300),
            in: .seconds(1) ... .seconds(86_400)
        )
        batchSize = try settings.int("DASHBOARD_BATCH_SIZE", default: 200, in: 1...10_000)
        flushInterval = try settings.duration(
            "DASHBOARD_FLUSH_INTERVAL",
            default: .milliseconds(100),
            in: .milliseconds(1) ... .seconds(60)
        )
    }
}
