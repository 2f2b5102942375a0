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

/// Wires the feedback service: platform clients, routes and migrations. Starts nothing by itself.
package func buildApplication(
    configuration: ServiceConfiguration,
    logger: Logger
) async throws -> some ApplicationProtocol {
    let platform = await ServicePlatform(configuration: configuration, logger: logger)
    let router = try platform.makeRouter()
    return try platform.makeApplication(
        router: router,
        schema: FeedbackMigrations.schema,
        migrations: FeedbackMigrations.all
    )
}
