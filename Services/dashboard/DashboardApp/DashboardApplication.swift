import Contracts
import Hummingbird
import Logging
import ServiceKit

/// The dashboard service: customer, quote and revenue statistics built from events.
package enum DashboardService {
    /// The service's name in configuration, logs, metrics and events.
    package static let name = "dashboard"
    /// The HTTP port used when `DASHBOARD_HTTP_PORT` / `HTTP_PORT` are unset.
    package static let defaultPort = 8085
    /// The consumer group the service reads the event stream with.
    package static let consumerGroup = "dashboard"
}

/// Wires the dashboard service: the event consumer that maintains its projection, the cached statistics
/// routes and migrations. Starts nothing by itself.
package func buildApplication(
    configuration: ServiceConfiguration,
    logger: Logger,
    clock: any WallClock = SystemWallClock()
) async throws -> some ApplicationProtocol {
    let settings = try DashboardSettings(settings: configuration.settings)
    let platform = try await ServicePlatform(
        configuration: configuration,
        logger: logger,
        openAPI: PackageResources.openapi_json
    )
    let cache = DashboardCache(
        // The names carry the version of the rendered form (2: decimals as strings), so that replicas of two
        // releases during a rollout never serve each other's bodies.
        stats: platform.makeCache("dashboard.stats.2", of: RenderedJSON.self),
        trends: platform.makeCache("dashboard.trends.2", of: RenderedJSON.self),
        ttl: settings.cacheTTL
    )
    let router = try platform.makeRouter()
    DashboardController(
        database: platform.database,
        store: StatisticsStore(logger: logger),
        cache: cache,
        clock: clock
    ).addRoutes(to: router)

    let consumer = StreamConsumer(
        redis: platform.redis,
        handler: DashboardEventHandler(
            database: platform.database,
            projection: ProjectionStore(logger: logger),
            cache: cache
        ),
        settings: StreamConsumerSettings(
            group: DashboardService.consumerGroup,
            consumer: configuration.instanceID,
            batchSize: settings.batchSize,
            maxBatchDelay: settings.flushInterval
        ),
        events: configuration.events,
        metrics: platform.metrics,
        logger: logger
    )
    return try platform.makeApplication(
        router: router,
        schema: DashboardMigrations.schema,
        migrations: DashboardMigrations.all,
        caches: [cache.stats, cache.trends],
        services: [consumer]
    )
}
