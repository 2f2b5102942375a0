import Hummingbird
import Logging
import ServiceKit

/// The users service: accounts, login and tokens, manager profiles and organizations.
package enum UsersService {
    /// The service's name in configuration, logs, metrics and events.
    package static let name = "users"
    /// The HTTP port used when `USERS_HTTP_PORT` / `HTTP_PORT` are unset.
    package static let defaultPort = 8081
}

/// Wires the users service: platform clients, routes and migrations. Starts nothing by itself.
package func buildApplication(
    configuration: ServiceConfiguration,
    logger: Logger
) async throws -> some ApplicationProtocol {
    let platform = await ServicePlatform(configuration: configuration, logger: logger)
    let router = platform.makeRouter()
    return try platform.makeApplication(router: router, schema: UsersMigrations.schema, migrations: UsersMigrations.all)
}
