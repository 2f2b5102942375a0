import Contracts
import Foundation
import Hummingbird
import Logging
import Prometheus
import ServiceKit
import ServiceLifecycle

/// The rates service: Bank of Russia exchange rates.
package enum RatesService {
    /// The service's name in configuration, logs, metrics and events.
    package static let name = "rates"
    /// The HTTP port used when `RATES_HTTP_PORT` / `HTTP_PORT` are unset.
    package static let defaultPort = 8082
}

/// Wires the rates service: the CBR client, the loader and its scheduler (a lease-holding `Service` that
/// backfills before readiness passes), the outbox relay for `rates.published`, the routes and migrations.
/// `clock` is the wall clock except in tests. Starts nothing by itself.
package func buildApplication(
    configuration: ServiceConfiguration,
    logger: Logger,
    clock: any WallClock = SystemWallClock()
) async throws -> some ApplicationProtocol {
    let settings = try RatesSettings(settings: configuration.settings)
    let gate = InitialLoadGate()
    let platform = try await ServicePlatform(
        configuration: configuration,
        logger: logger,
        openAPI: PackageResources.openapi_json,
        extraReadinessChecks: [gate.readinessCheck]
    )
    let (events, relay) = platform.makeEvents(schema: RatesMigrations.schema)
    let calendar = RatesCalendar(publicationMinute: settings.publicationMinute)
    let store = RatesStore(logger: logger)
    // The cache's name carries the version of the rendered form (2: decimals as strings, 3: the card's
    // stale_reason), so that replicas of two releases during a rollout never serve each other's bodies.
    let answers = RatesAnswerCache(cache: platform.makeCache("rates.answers.3", of: CachedRatesAnswer.self))
    let loader = RatesLoader(
        client: CBRClient(settings: settings, logger: logger),
        store: store,
        database: platform.database,
        redis: platform.redis,
        events: events,
        calendar: calendar,
        clock: clock,
        updatesChannel: settings.updatesChannel,
        logger: logger,
        changed: { await answers.invalidate() }
    )
    let query = RatesQuery(
        database: platform.database,
        store: store,
        calendar: calendar,
        clock: clock,
        staleAfter: settings.staleAfter,
        cardCurrencies: settings.cardCurrencies
    )

    // What an operator alerts on without a token: when CBR last answered, and whether today's answers are stale.
    let lastSuccess = platform.metrics.gauge(
        "rates_last_success_timestamp_seconds",
        help: "When CBR last gave a valid answer, in seconds since the Unix epoch (0 before the first)."
    )
    let stale = platform.metrics.gauge("rates_stale", help: "1 while today's answers are stale, else 0.")
    platform.metrics.collect("rates") {
        let status = try await query.status()
        lastSuccess.set(to: status.lastSuccessAt?.timeIntervalSince1970 ?? 0)
        stale.set(to: status.stale ? 1 : 0)
    }

    let router = try platform.makeRouter(
        rateLimits: RateLimitRules(routes: ["POST /api/exchange-rates/load": .ratesReload])
    )
    RatesController(
        query: query,
        loader: loader,
        database: platform.database,
        events: events,
        calendar: calendar,
        clock: clock,
        settings: settings,
        answers: answers
    ).addRoutes(to: router)

    let scheduler = RatesScheduler(
        loader: loader,
        database: platform.database,
        store: store,
        lease: platform.makeLease(name: settings.leaseName, ttl: settings.leaseTTL),
        calendar: calendar,
        clock: clock,
        settings: settings,
        gate: gate,
        logger: logger
    )
    return try platform.makeApplication(
        router: router,
        schema: RatesMigrations.schema,
        migrations: RatesMigrations.all,
        caches: [answers.cache],
        services: [relay, scheduler]
    )
}
