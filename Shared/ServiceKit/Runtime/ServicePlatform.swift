import Contracts
import Hummingbird
import Logging
import NIOCore
import Prometheus
import ServiceLifecycle

/// The parts every service stands on, created once in `buildApplication`: the Postgres pool, the Redis
/// client, the token verifier and the revocations it honours, metrics and readiness. It only wires; it starts
/// nothing by itself.
package struct ServicePlatform: Sendable {
    package let configuration: ServiceConfiguration
    package let logger: Logger
    package let database: Database
    package let redis: RedisClient
    package let verifier: AccessTokenVerifier
    package let revocations: TokenRevocations
    package let metrics: ServiceMetrics
    package let readiness: ReadinessProbe
    package let rateLimiter: RateLimiter
    /// The service's API description, served at `GET /openapi.json`; nil only for test platforms that describe
    /// no API.
    package let document: APIDocument?

    /// `openAPI` is the service's own OpenAPI document (its library's `openapi.json`); the application it makes
    /// refuses to start when that document and its routes differ (see ``makeApplication(router:schema:migrations:caches:services:)``).
    package init(
        configuration: ServiceConfiguration,
        logger: Logger,
        openAPI: [UInt8]? = nil,
        extraReadinessChecks: [ReadinessCheck] = []
    ) async throws {
        self.document = try openAPI.map { try APIDocument(service: $0) }
        self.configuration = configuration
        self.logger = logger
        let metrics = ServiceMetrics(build: BuildInfo(settings: configuration.settings))
        self.metrics = metrics
        let database = Database(settings: configuration.postgres, logger: logger, metrics: metrics)
        let redis = RedisClient(settings: configuration.redis, logger: logger, metrics: metrics)
        self.database = database
        self.redis = redis
        let revocations = TokenRevocations(
            redis: redis,
            keepFor: configuration.auth.accessTokenLifetime + configuration.auth.leeway,
            logger: logger
        )
        self.revocations = revocations
        self.verifier = await AccessTokenVerifier(settings: configuration.auth, revocations: revocations)
        self.rateLimiter = RateLimiter(
            redis: redis,
            shadow: configuration.rateLimitShadow,
            metrics: metrics,
            logger: logger
        )
        let readiness = ReadinessProbe(
            service: configuration.serviceName,
            checks: [
                ReadinessCheck("postgres") { try await database.ping() },
                ReadinessCheck("redis") { try await redis.ping() },
                ReadinessCheck("revocations") {
                    guard revocations.isLoaded else { throw RevocationsNotLoaded() }
                },
            ] + extraReadinessChecks
        )
        self.readiness = readiness
        let ready = metrics.gauge(
            "service_ready",
            help: "1 while the readiness checks pass (as /health/ready), else 0."
        )
        metrics.collect("readiness") { [readiness] in
            ready.set(to: await readiness.readiness().status == "ok" ? 1 : 0)
        }
    }

    /// A router with the operational routes (health, metrics) and the platform middleware (problem rendering,
    /// token verification, rate limits by `rateLimits`, each overridable by `RATE_LIMIT_<POLICY>`) in place;
    /// the service adds its routes after this.
    package func makeRouter<Context: ServiceContext>(
        context: Context.Type = ServiceRequestContext.self,
        rateLimits: RateLimitRules = RateLimitRules()
    ) throws -> Router<Context> {
        let router = Router(context: Context.self, options: .autoGenerateHeadEndpoints)
        HealthRoutes.register(on: router, readiness: readiness, metrics: metrics, document: document)
        router.add(middleware: ProblemMiddleware())
        router.add(middleware: AuthenticationMiddleware(verifier: verifier))
        router.add(
            middleware: RateLimitMiddleware(
                limiter: rateLimiter,
                rules: try rateLimits.configured(by: configuration.settings)
            )
        )
        return router
    }

    /// A two-tier cache named `name` (its keys in Redis start with `cache:<name>:`). Pass it to
    /// `makeApplication(caches:)` so that every replica applies its invalidations.
    package func makeCache<Value: Codable & Sendable>(
        _ name: String,
        of type: Value.Type = Value.self
    ) -> TwoTierCache<Value> {
        TwoTierCache(
            name: configuration.cacheNamespace.isEmpty ? name : "\(configuration.cacheNamespace).\(name)",
            capacity: configuration.cacheCapacity,
            redis: redis,
            metrics: metrics,
            logger: logger
        )
    }

    /// A Redis lease named `name` (key `lease:<name>`) held as this replica for `ttl`: the way every service
    /// lets one replica at a time run a job. Each service reads the name and lifetime from its own
    /// `<SERVICE>_…_LEASE_NAME` and `…_LEASE_TTL`.
    package func makeLease(name: String, ttl: Duration) -> RedisLease {
        RedisLease(redis: redis, name: name, owner: configuration.instanceID, ttl: ttl)
    }

    /// The service's events, kept in its outbox in `schema`: the recorder its routes record changes with, and
    /// the relay that publishes them to the stream as this service's (run it in `makeApplication(services:)`).
    package func makeEvents(schema: String) -> (recorder: EventRecorder, relay: OutboxRelay) {
        let outbox = Outbox(schema: schema)
        let recorder = EventRecorder(
            source: EventSource(service: configuration.serviceName, instance: configuration.instanceID),
            outbox: outbox,
            logger: logger
        )
        let relay = OutboxRelay(
            outbox: outbox,
            origin: configuration.serviceName,
            database: database,
            redis: redis,
            settings: configuration.events,
            metrics: metrics,
            logger: logger
        )
        return (recorder, relay)
    }

    /// The runnable application: `router` behind the ``ServiceResponder``, the platform's clients, the
    /// invalidation subscriber of `caches` and the service's own background `services` in one service group
    /// (started in order, stopped in reverse), and the service's migrations applied before the server accepts
    /// a connection. The background `services` start only once the migrations are applied: on a first deploy
    /// they would otherwise meet tables that do not exist yet. Throws ``APIDocumentDrift`` when the router's
    /// routes and the operations of the service's document differ either way, so that the document served can
    /// never describe another API than the one that answers (every test that builds the service checks it).
    package func makeApplication<Context: ServiceContext>(
        router: Router<Context>,
        schema: String,
        migrations: [Migration],
        caches: [any InvalidatableCache] = [],
        services: [any Service] = []
    ) throws -> some ApplicationProtocol {
        if let document {
            let drift = document.drift(from: router.routes.map { ($0.method, $0.path.description) })
            guard drift.isEmpty else { throw drift }
        }
        router.addMethodNotAllowedRoutes()
        let http = configuration.http
        let responder = ServiceResponder(
            router: router.buildResponder(),
            settings: http,
            metrics: HTTPMetrics(metrics: metrics)
        )
        var migrationsApplied: [AsyncStream<Void>.Continuation] = []
        let background = services.map { service -> any Service in
            let (applied, signal) = AsyncStream.makeStream(of: Void.self)
            migrationsApplied.append(signal)
            return AfterMigrations(service: service, applied: applied)
        }
        var app = Application(
            responder: responder,
            server: .http1(configuration: .init(idleTimeout: .milliseconds(http.idleTimeout.milliseconds))),
            configuration: .init(address: .hostname(http.host, port: http.port), serverName: configuration.serviceName),
            services: [database.client, redis, revocations]
                + (caches.isEmpty ? [] : [CacheInvalidationSubscriber(redis: redis, caches: caches, logger: logger)])
                + background,
            logger: logger
        )
        let runner = try MigrationRunner(schema: schema, migrations: migrations)
        let database = self.database
        let logger = self.logger
        let signals = migrationsApplied
        app.beforeServerStarts {
            try await runner.run(on: database, logger: logger)
            for signal in signals { signal.finish() }
        }
        return app
    }
}

/// Readiness fails until the token revocations have been read: a replica would accept revoked tokens before.
struct RevocationsNotLoaded: Error, CustomStringConvertible {
    var description: String { "the token revocations have not been read from Redis yet" }
}

/// A background service held back until the migrations are applied (its signal finishes); it does not start
/// at all when the application shuts down first.
struct AfterMigrations: Service, CustomStringConvertible {
    let service: any Service
    let applied: AsyncStream<Void>

    func run() async throws {
        for await _ in applied.cancelOnGracefulShutdown() {}
        guard !Task.isCancelled, !Task.isShuttingDownGracefully else { return }
        try await service.run()
    }

    var description: String { String(describing: service) }
}
