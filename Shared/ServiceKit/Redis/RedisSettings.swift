/// Where Redis is and how the client uses it.
package struct RedisSettings: Sendable {
    /// `REDIS_HOST` (default `127.0.0.1`).
    package var host: String
    /// `REDIS_PORT` (default 56379, the private server of `compose/local`).
    package var port: Int
    /// `REDIS_PASSWORD` (default none).
    package var password: String?
    /// `REDIS_DB` (default 0).
    package var database: Int
    /// `REDIS_CONNECTIONS` (default 2): multiplexed connections shared by all commands of a replica.
    package var connections: Int
    /// `REDIS_CONNECT_TIMEOUT` (default 2 s).
    package var connectTimeout: Duration
    /// `REDIS_COMMAND_TIMEOUT` (default 2 s): a command without a reply by then fails with a timeout.
    package var commandTimeout: Duration

    package init(
        host: String = "127.0.0.1",
        port: Int = 56379,
        password: String? = nil,
        database: Int = 0,
        connections: Int = 2,
        connectTimeout: Duration = .seconds(2),
        commandTimeout: Duration = .seconds(2)
    ) {
        self.host = host
        self.port = port
        self.password = password
        self.database = database
        self.connections = connections
        self.connectTimeout = connectTimeout
        self.commandTimeout = commandTimeout
    }

    package init(settings: Settings) throws {
        self.init(
            host: settings.string("REDIS_HOST", default: "127.0.0.1"),
            port: try settings.int("REDIS_PORT", default: 56379, in: 1...65535),
            password: settings.optionalString("REDIS_PASSWORD", secret: true),
            database: try settings.int("REDIS_DB", default: 0, in: 0...15),
            connections: try settings.int("REDIS_CONNECTIONS", default: 2, in: 1...64),
            connectTimeout: try settings.duration(
                "REDIS_CONNECT_TIMEOUT",
                default: .seconds(2),
                in: .milliseconds(10) ... .seconds(60)
            ),
            commandTimeout: try settings.duration(
                "REDIS_COMMAND_TIMEOUT",
                default: .seconds(2),
                in: .milliseconds(10) ... .seconds(600)
            )
        )
    }
}
