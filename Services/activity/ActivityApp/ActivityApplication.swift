import Hummingbird
import Logging
import ServiceKit

/// The activity service: the activity (audit) log.
package enum ActivityService {
    /// The service's name in configuration, logs, metrics and events.
    package static let name = "activity"
    /// The HTTP port used when `ACTIVITY_HTTP_PORT` / `HTTP_PORT` are unset.
    package static let defaultPort = 8083
}

/// Wires the activity service: platform clients, routes and migrations. Starts nothing by itself.
package func buildApplication(
    configuration: ServiceConfiguration,
    logger: Logger
) async throws -> some ApplicationProtocol {
    let platform = await ServicePlatform(configuration: configuration, logger: logger)
    let router = platform.makeRouter()
    return try platform.makeApplication(
        router: router,
        schema: ActivityMigrations.schema,
        migrations: ActivityMigrations.all
    )
}
