import Hummingbird
import Logging
import ServiceKit

/// The rates service: Bank of Russia exchange rates.
package enum RatesService {
    /// The service's name in configuration, logs, metrics and events.
    package static let name = "rates"
    /// The HTTP port used when `RATES_HTTP_PORT` / `HTTP_PORT` are unset.
    package static let defaultPort = 8082
}

/// Wires the rates service: platform clients, routes and migrations. Starts nothing by itself.
package func buildApplication(
    configuration: ServiceConfiguration,
    logger: Logger
) async throws -> some ApplicationProtocol {
    let platform = await ServicePlatform(configuration: configuration, logger: logger)
    let router = try platform.makeRouter()
    return try platform.makeApplication(router: router, schema: RatesMigrations.schema, migrations: RatesMigrations.all)
}
