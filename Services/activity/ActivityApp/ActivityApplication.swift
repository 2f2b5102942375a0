import Contracts
import Hummingbird
import Logging
import ServiceKit
import ServiceLifecycle

/// The activity service: the activity (audit) log.
package enum ActivityService {
    /// The service's name in configuration, logs, metrics and events.
    package static let name = "activity"
    /// The HTTP port used when `ACTIVITY_HTTP_PORT` / `HTTP_PORT` are unset.
    package static let defaultPort = 8083
    /// The default body limit: ingestion takes batches of up to 1,000 envelopes.
    package static let defaultMaxBodySize = 8 << 20
    /// The consumer group the service reads the event stream with.
    package static let consumerGroup = "activity"
}

/// Wires the activity service: the event consumer that records entries, the outbox relay for its own
/// events, the retention job, and the routes. Starts nothing by itself.
package func buildApplication(
    configuration: ServiceConfiguration,
    logger: Logger,
    clock: any WallClock = SystemWallClock()
) async throws -> some ApplicationProtocol {
    let settings = try ActivitySettings(settings: configuration.settings, environment: configuration.environment)
    if settings.usesDevelopmentIngestKey {
        logger.warning("ACTIVITY_INGEST_KEYS is not set: the development key is accepted; set it outside development")
    }
    let platform = try await ServicePlatform(
        configuration: configuration,
        logger: logger,
        openAPI: PackageResources.openapi_json
    )
    let (events, relay) = platform.makeEvents(schema: ActivityMigrations.schema)
    let store = ActivityEntryStore(logger: logger)

    let router = try platform.makeRouter(
        rateLimits: RateLimitRules(routes: [
            "GET /api/activity-logs/export.csv": .export,
            "POST /api/activity/events": .ingestion,
        ])
    )
    ActivityLogController(store: store, database: platform.database, events: events, clock: clock).addRoutes(to: router)
    IngestionController(keys: settings.ingestKeys, outbox: events.outbox, database: platform.database, clock: clock)
        .addRoutes(to: router)

    // The first consumer keeps the instance's name, so entries it left pending before a restart are its own.
    let consumers = (1...settings.consumers).map { number in
        StreamConsumer(
            redis: platform.redis,
            handler: ActivityEventHandler(database: platform.database, store: store),
            settings: StreamConsumerSettings(
                group: ActivityService.consumerGroup,
                consumer: number == 1 ? configuration.instanceID : "\(configuration.instanceID)-\(number)",
                batchSize: settings.batchSize,
                maxBatchDelay: settings.flushInterval
            ),
            events: configuration.events,
            metrics: platform.metrics,
            logger: logger
        )
    }
    let retention = RetentionJob(
        database: platform.database,
        store: store,
        clock: clock,
        lease: platform.makeLease(name: settings.retentionLeaseName, ttl: settings.retentionLeaseTTL),
        retentionDays: settings.retentionDays,
        interval: settings.retentionInterval,
        logger: logger
    )
    return try platform.makeApplication(
        router: router,
        schema: ActivityMigrations.schema,
        migrations: ActivityMigrations.all,
        services: [relay] + consumers.map { $0 as any Service } + [retention]
    )
}
