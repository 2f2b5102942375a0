import Hummingbird
import Logging
import ServiceKit

/// The dashboard service: customer, quote and revenue statistics built from events.
package enum DashboardService {
    /// The service's name in configuration, logs, metrics and events.
    package static let name = "dashboard"
    /// The HTTP port used when `DASHBOARD_HTTP_PORT` / `HTTP_PORT` are unset.
    package static let defaultPort = 8085
}

/// Wires the dashboard service: platform clients, routes and migrations. Starts nothing by itself.
package func buildApplication(
    configuration: ServiceConfiguration,
    logger: Logger
) async throws -> some ApplicationProtocol {
    let platform = await ServicePlatform(configuration: configuration, logger: logger)
    let router = try platform.makeRouter()
    return try platform.makeApplication(
        router: router,
        schema: DashboardMigrations.schema,
        migrations: DashboardMigrations.all
    )
}
