import Contracts
import Hummingbird
import Logging
import ServiceKit

/// The feedback service: user feedback and its admin review queue.
package enum FeedbackService {
    /// The service's name in configuration, logs, metrics and events.
    package static let name = "feedback"
    /// The HTTP port used when `FEEDBACK_HTTP_PORT` / `HTTP_PORT` are unset.
    package static let defaultPort = 8084
}

/// Wires the feedback service: platform clients, the outbox relay for its events, routes and migrations.
/// Starts nothing by itself.
package func buildApplication(
    configuration: ServiceConfiguration,
    logger: Logger
) async throws -> some ApplicationProtocol {
    let platform = try await ServicePlatform(
        configuration: configuration,
        logger: logger,
        openAPI: PackageResources.openapi_json
    )
    let (events, relay) = platform.makeEvents(schema: FeedbackMigrations.schema)
    let store = FeedbackStore(logger: logger)
    let database = platform.database

    // Submitting has the stricter feedback limit (5 a minute per user, README); reading uses the default.
    let router = try platform.makeRouter(rateLimits: RateLimitRules(routes: ["POST /api/feedback": .feedback]))
    FeedbackController(database: database, store: store, events: events).addRoutes(to: router)
    FeedbackReviewController(database: database, store: store, events: events).addRoutes(to: router)

    return try platform.makeApplication(
        router: router,
        schema: FeedbackMigrations.schema,
        migrations: FeedbackMigrations.all,
        services: [relay]
    )
}
