import PostgresNIO

/// Where the service's database is and how hard it may be used.
package struct PostgresSettings: Sendable {
    /// `POSTGRES_HOST` (default `127.0.0.1`).
    package var host: String
    /// `POSTGRES_PORT` (default 55432, the private cluster of `compose/local`).
    package var port: Int
    /// `POSTGRES_USER` (default `quoting`).
    package var user: String
    /// `POSTGRES_PASSWORD` (default none: the local cluster trusts loopback).
    package var password: String?
    /// `POSTGRES_DATABASE` (default `quoting`).
    package var database: String
    /// `POSTGRES_TLS`: `disable` (default), `prefer` or `require`.
    package var tls: TLSMode
    /// `POSTGRES_POOL_SIZE` (default 8): connections per replica.
    package var poolSize: Int
    /// `POSTGRES_CONNECT_TIMEOUT` (default 5 s).
    package var connectTimeout: Duration
    /// `POSTGRES_ACQUIRE_TIMEOUT` (default 3 s): longest wait for a free connection before answering 503.
    package var acquireTimeout: Duration
    /// `POSTGRES_STATEMENT_TIMEOUT` (default 15 s): the server cancels any statement running longer.
    package var statementTimeout: Duration
    /// Reported to the server as `application_name`.
    package var applicationName: String

    /// TLS use towards Postgres.
    package enum TLSMode: String, Sendable, CaseIterable {
        case disable
        case prefer
        case require
    }

    package init(settings: Settings, applicationName: String) throws {
        host = settings.string("POSTGRES_HOST", default: "127.0.0.1")
        port = try settings.int("POSTGRES_PORT", default: 55432, in: 1...65535)
        user = settings.string("POSTGRES_USER", default: "quoting")
        password = settings.optionalString("POSTGRES_PASSWORD", secret: true)
        database = settings.string("POSTGRES_DATABASE", default: "quoting")
        tls = try settings.choice("POSTGRES_TLS", default: TLSMode.disable)
        poolSize = try settings.int("POSTGRES_POOL_SIZE", default: 8, in: 1...200)
        connectTimeout = try settings.duration(
            "POSTGRES_CONNECT_TIMEOUT",
            default: .seconds(5),
            in: .milliseconds(100) ... .seconds(120)
        )
        acquireTimeout = try settings.duration(
            "POSTGRES_ACQUIRE_TIMEOUT",
            default: .seconds(3),
            in: .milliseconds(10) ... .seconds(120)
        )
        statementTimeout = try settings.duration(
            "POSTGRES_STATEMENT_TIMEOUT",
            default: .seconds(15),
            in: .milliseconds(100) ... .seconds(3600)
        )
        self.applicationName = applicationName
    }

    /// The PostgresNIO client configuration for these settings.
    package var clientConfiguration: PostgresClient.Configuration {
        let tlsMode: PostgresClient.Configuration.TLS =
            switch tls {
            case .disable: .disable
            case .prefer: .prefer(.makeClientConfiguration())
            case .require: .require(.makeClientConfiguration())
            }
        var configuration = PostgresClient.Configuration(
            host: host,
            port: port,
            username: user,
            password: password,
            database: database,
            tls: tlsMode
        )
        configuration.options.maximumConnections = poolSize
        configuration.options.minimumConnections = 0
        configuration.options.connectTimeout = connectTimeout
        configuration.options.additionalStartupParameters = [
            ("application_name", applicationName),
            ("statement_timeout", String(statementTimeout.milliseconds)),
            ("lock_timeout", String(min(statementTimeout.milliseconds, 10_000))),
            ("idle_in_transaction_session_timeout", String(max(statementTimeout.milliseconds * 2, 60_000))),
            ("TimeZone", "UTC"),
        ]
        return configuration
    }
}

extension Duration {
    /// The whole milliseconds in this duration.
    package var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}
