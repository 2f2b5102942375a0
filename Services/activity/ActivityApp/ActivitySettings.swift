import ServiceKit

/// The activity service's own settings.
package struct ActivitySettings: Sendable {
    /// `ACTIVITY_BATCH_SIZE` (default 100): entries written per insert.
    package var batchSize: Int
    /// `ACTIVITY_FLUSH_INTERVAL` (default 5 s): longest wait before a partial batch is written.
    package var flushInterval: Duration
    /// `ACTIVITY_CONSUMERS` (default 2): consumers of the event stream in this replica, each a member of the
    /// group with a batch of its own, so one batch is read while another is written.
    package var consumers: Int
    /// `ACTIVITY_INGEST_KEYS`: the keys accepted by `POST /api/activity/events`, comma-separated
    /// `<source>:<type pattern>[|<type pattern>...]:<secret>` entries, each scoped to one outside system and the
    /// event types it may send. In development, when unset, the quoting core's key `dev-ingest-key` is
    /// accepted (with a warning).
    package var ingestKeys: [IngestionKey]
    /// `ACTIVITY_RETENTION_DAYS` (default 365): entries older than this are deleted.
    package var retentionDays: Int
    /// `ACTIVITY_RETENTION_INTERVAL` (default 24 h): how often the retention job runs.
    package var retentionInterval: Duration
    /// `ACTIVITY_RETENTION_LEASE_TTL` (default 10 min): lifetime of the retention job's Redis lease, so that
    /// one replica at a time runs it; released when a run ends, and longer than a run takes.
    package var retentionLeaseTTL: Duration
    /// `ACTIVITY_RETENTION_LEASE_NAME` (default `activity.retention`): the lease's name (`lease:<name>`).
    package var retentionLeaseName: String
    /// True when the development ingestion key is in use.
    package var usesDevelopmentIngestKey: Bool

    /// The key accepted in development when `ACTIVITY_INGEST_KEYS` is unset: the quoting core's.
    package static let developmentIngestKey = IngestionKey(
        source: "quoting-core",
        patterns: [.prefix("quote."), .prefix("customer.")],
        secret: "dev-ingest-key"
    )

    package init(settings: Settings, environment: DeploymentEnvironment) throws {
        batchSize = try settings.int("ACTIVITY_BATCH_SIZE", default: 100, in: 1...10_000)
        flushInterval = try settings.duration(
            "ACTIVITY_FLUSH_INTERVAL",
            default: .seconds(5),
            in: .milliseconds(1) ... .seconds(600)
        )
        consumers = try settings.int("ACTIVITY_CONSUMERS", default: 2, in: 1...16)
        retentionDays = try settings.int("ACTIVITY_RETENTION_DAYS", default: 365, in: 1...36_500)
        retentionInterval = try settings.duration(
            "ACTIVITY_RETENTION_INTERVAL",
            default: .seconds(86_400),
            in: .seconds(1) ... .seconds(30 * 86_400)
        )
        retentionLeaseTTL = try settings.duration(
            "ACTIVITY_RETENTION_LEASE_TTL",
            default: .seconds(600),
            in: .seconds(1) ... .seconds(3600)
        )
        retentionLeaseName = settings.string("ACTIVITY_RETENTION_LEASE_NAME", default: "activity.retention")
        let variable = settings.raw("ACTIVITY_INGEST_KEYS", secret: true)?.variable ?? "ACTIVITY_INGEST_KEYS"
        let entries = settings.list("ACTIVITY_INGEST_KEYS", default: [], secret: true)
        if entries.isEmpty {
            guard environment == .development else {
                throw ConfigurationError(
                    variable: variable,
                    value: "",
                    expected: "at least one key (no default outside APP_ENV=development)"
                )
            }
            ingestKeys = [Self.developmentIngestKey]
            usesDevelopmentIngestKey = true
        } else {
            ingestKeys = try entries.enumerated().map { index, entry in
                try IngestionKey.parse(entry, number: index + 1, variable: variable)
            }
            guard Set(ingestKeys.map(\.secret)).count == ingestKeys.count else {
                throw ConfigurationError(
                    variable: variable,
                    value: "not shown: it holds secrets",
                    expected: "\(IngestionKey.format); two entries have the same secret"
                )
            }
            usesDevelopmentIngestKey = false
        }
    }
}
