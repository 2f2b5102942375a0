import Foundation
import Logging

/// The settings every service shares: HTTP server, Postgres, Redis, token verification and logging.
///
/// Each field reads one documented environment variable (see the README's configuration reference);
/// a service-specific prefix (`USERS_`, `RATES_`, …) overrides the shared variable for that service.
package struct ServiceConfiguration: Sendable {
    /// The service's name (`users`), used in logs, metrics and event sources.
    package var serviceName: String
    /// This replica's name (`INSTANCE_ID`), unique among replicas; defaults to `<service>-<host>-<pid>`.
    package var instanceID: String
    /// `APP_ENV` (default `production`): `production` refuses to start without its secrets; `development` (what
    /// `compose/local` and the tests set) lets a service run on one machine without a Postgres password and
    /// with the development ingestion key.
    package var environment: DeploymentEnvironment
    package var http: HTTPSettings
    package var postgres: PostgresSettings
    package var redis: RedisSettings
    package var auth: AuthSettings
    package var events: EventsSettings
    /// `RATE_LIMIT_SHADOW` (default false): count and report limits, never reject.
    package var rateLimitShadow: Bool
    /// `CACHE_L1_CAPACITY` (default 10,000): entries each in-process cache keeps.
    package var cacheCapacity: Int
    /// `CACHE_NAMESPACE` (default none): a prefix for cache names, so deployments (or tests) sharing one
    /// Redis never read each other's entries.
    package var cacheNamespace: String
    package var logging: LogSettings
    /// Where these settings came from, for the service's own settings.
    package let settings: Settings

    /// The variables every service needs in production; a service adds its own (``init(service:defaultPort:defaultMaxBodySize:settings:secrets:)``).
    package static let productionSecrets = ["JWT_PUBLIC_KEYS", "POSTGRES_PASSWORD"]

    /// Reads the shared settings of `service`, whose HTTP port defaults to `defaultPort` and body limit to
    /// `defaultMaxBodySize`. In production, every variable of ``productionSecrets`` and `secrets` must be set:
    /// the error names each one missing, so an operator fixes them all at once.
    package init(
        service: String,
        defaultPort: Int,
        defaultMaxBodySize: Int = 1 << 20,
        settings: Settings,
        secrets: [String] = []
    ) throws {
        let settings = settings.servicePrefix == nil ? settings.scoped(to: service) : settings
        self.settings = settings
        self.serviceName = service
        self.environment = try settings.choice("APP_ENV", default: .production)
        if environment == .production {
            let missing = (Self.productionSecrets + secrets).filter { settings.optionalString($0, secret: true) == nil }
            guard missing.isEmpty else { throw MissingSettings(variables: missing) }
        }
        let host = ProcessInfo.processInfo.hostName
        self.instanceID = settings.string(
            "INSTANCE_ID",
            default: "\(service)-\(host)-\(ProcessInfo.processInfo.processIdentifier)"
        )
        self.http = try HTTPSettings(
            settings: settings,
            defaultPort: defaultPort,
            defaultMaxBodySize: defaultMaxBodySize
        )
        self.postgres = try PostgresSettings(settings: settings, applicationName: service)
        self.redis = try RedisSettings(settings: settings)
        self.auth = try AuthSettings(settings: settings)
        self.events = try EventsSettings(settings: settings)
        self.rateLimitShadow = try settings.bool("RATE_LIMIT_SHADOW", default: false)
        self.cacheCapacity = try settings.int("CACHE_L1_CAPACITY", default: 10_000, in: 1...10_000_000)
        self.cacheNamespace = settings.string("CACHE_NAMESPACE", default: "")
        self.logging = try LogSettings(settings: settings)
    }
}

/// Variables a production service cannot start without.
package struct MissingSettings: Error, CustomStringConvertible, Equatable {
    package var variables: [String]

    package var description: String {
        "missing configuration for APP_ENV=production: \(variables.joined(separator: ", ")) "
            + "(see the README's configuration reference; APP_ENV=development runs on one machine without some)"
    }
}

/// Where the service runs; decides whether development secrets are acceptable.
package enum DeploymentEnvironment: String, Sendable, CaseIterable {
    case development
    case production
}

/// HTTP server settings.
package struct HTTPSettings: Sendable {
    /// `HTTP_HOST` (default `127.0.0.1`).
    package var host: String
    /// `HTTP_PORT` (default per service: users 8081, rates 8082, activity 8083, feedback 8084, dashboard 8085).
    package var port: Int
    /// `HTTP_REQUEST_TIMEOUT` (default 30 s): a request still running after this is answered 503.
    package var requestTimeout: Duration
    /// `HTTP_IDLE_TIMEOUT` (default 75 s): an idle keep-alive connection is closed after this.
    package var idleTimeout: Duration
    /// `HTTP_MAX_BODY_SIZE` in bytes (default 1 MiB; 8 MiB for activity, whose ingestion takes batches):
    /// larger bodies are answered 413.
    package var maxBodySize: Int
    /// `TRUSTED_PROXIES` (default `127.0.0.1/32,::1/128`): peers whose `X-Forwarded-For` is believed.
    package var trustedProxies: [IPNetwork]

    package init(settings: Settings, defaultPort: Int, defaultMaxBodySize: Int = 1 << 20) throws {
        host = settings.string("HTTP_HOST", default: "127.0.0.1")
        port = try settings.int("HTTP_PORT", default: defaultPort, in: 0...65535)
        requestTimeout = try settings.duration(
            "HTTP_REQUEST_TIMEOUT",
            default: .seconds(30),
            in: .milliseconds(1) ... .seconds(3600)
        )
        idleTimeout = try settings.duration(
            "HTTP_IDLE_TIMEOUT",
            default: .seconds(75),
            in: .seconds(1) ... .seconds(3600)
        )
        maxBodySize = try settings.int("HTTP_MAX_BODY_SIZE", default: defaultMaxBodySize, in: 1024...(256 << 20))
        trustedProxies = try settings.list("TRUSTED_PROXIES", default: ["127.0.0.1/32", "::1/128"]).map { entry in
            guard let network = IPNetwork(entry) else {
                throw ConfigurationError(
                    variable: "TRUSTED_PROXIES",
                    value: entry,
                    expected: "addresses or CIDR ranges such as 10.0.0.0/8"
                )
            }
            return network
        }
    }
}

/// Log settings.
package struct LogSettings: Sendable {
    /// Line format on stdout.
    package enum Format: String, Sendable, CaseIterable {
        case json
        case text
    }

    /// `LOG_LEVEL` (default `info`): trace, debug, info, notice, warning, error, critical.
    package var level: Logger.Level
    /// `LOG_FORMAT` (default `json`).
    package var format: Format

    package init(settings: Settings) throws {
        level = try settings.choice("LOG_LEVEL", default: Logger.Level.info)
        format = try settings.choice("LOG_FORMAT", default: Format.json)
    }
}
