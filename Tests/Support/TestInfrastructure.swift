import Contracts
import Foundation
import Logging
import PostgresNIO
import ServiceKit

/// The real Postgres and Redis the integration tests run against: the ones `compose/local/test` starts
/// (or `compose/local/up`), located by the same environment variables the services read.
package enum TestInfrastructure {
    /// The process environment with the test defaults: quiet logs, an ephemeral HTTP port.
    package static func environment(_ overrides: [String: String] = [:]) -> [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["HTTP_PORT"] = "0"
        environment["LOG_LEVEL"] = environment["TEST_LOG_LEVEL"] ?? "error"
        environment["APP_ENV"] = "development"
        for (key, value) in TestKeys.environment { environment[key] = value }
        // Every suite starts at once on a small CI machine: connections and CREATE DATABASE queue up for
        // seconds there, which is load, not a fault. Tests of the timeout itself set their own.
        environment["POSTGRES_ACQUIRE_TIMEOUT"] = environment["TEST_POSTGRES_ACQUIRE_TIMEOUT"] ?? "60s"
        // Tests share one Redis and, in router mode, one unknown client address: the production limits would
        // make them throttle each other. Rate limiting has its own tests, with their own policies.
        for policy in ["DEFAULT", "LOGIN", "LOGIN_FAILURES", "FEEDBACK", "RATES_RELOAD", "EXPORT", "INGESTION"] {
            environment["RATE_LIMIT_\(policy)"] = "1000000/1m"
        }
        for (key, value) in overrides { environment[key] = value }
        return environment
    }

    /// A service configuration built exactly as the executables build theirs, from the test environment.
    package static func configuration(
        service: String,
        _ overrides: [String: String] = [:]
    ) throws -> ServiceConfiguration {
        try ServiceConfiguration(
            service: service,
            defaultPort: 0,
            settings: Settings(environment: environment(overrides)).scoped(to: service)
        )
    }

    package static var postgresSettings: PostgresSettings {
        get throws { try PostgresSettings(settings: Settings(environment: environment()), applicationName: "tests") }
    }

    package static var redisSettings: RedisSettings {
        get throws { try RedisSettings(settings: Settings(environment: environment())) }
    }

    /// A logger for tests: errors only, unless `TEST_LOG_LEVEL` says otherwise (failure tests provoke warnings).
    package static func logger(_ label: String) -> Logger {
        var logger = Logger(label: label)
        logger.logLevel =
            Logger.Level(rawValue: ProcessInfo.processInfo.environment["TEST_LOG_LEVEL"] ?? "error") ?? .error
        return logger
    }

    /// Runs `body` with a live database pool; fails with instructions when Postgres is not reachable.
    package static func withDatabase<Result: Sendable>(
        settings: PostgresSettings? = nil,
        _ body: @Sendable (Database) async throws -> Result
    ) async throws -> Result {
        let settings = try settings ?? postgresSettings
        let database = Database(settings: settings, logger: logger("tests.postgres"))
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await database.client.run() }
            defer { group.cancelAll() }
            do {
                try await withDeadline(.seconds(60), waitingFor: "Postgres") { try await database.ping() }
            } catch {
                throw InfrastructureMissing(
                    component: "Postgres",
                    location: "\(settings.host):\(settings.port)",
                    underlying: error
                )
            }
            return try await body(database)
        }
    }

    /// One small pool for the tests' own administration (creating and dropping databases), alive for the whole
    /// run: its few connections also bound how many of those statements run at once.
    private static let administration: Result<Database, any Error> = Result {
        var settings = try postgresSettings
        settings.poolSize = 3
        settings.acquireTimeout = .seconds(120)
        settings.statementTimeout = .seconds(300)
        let database = Database(settings: settings, logger: logger("tests.postgres.administration"))
        Task.detached { await database.client.run() }
        return database
    }

    /// Runs `body` on a connection of the administration pool (for `CREATE DATABASE` and the like).
    package static func administer<Result: Sendable>(
        _ body: (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        let settings = try postgresSettings
        do {
            return try await administration.get().withConnection(body)
        } catch let error as DatabaseUnavailable {
            throw InfrastructureMissing(
                component: "Postgres",
                location: "\(settings.host):\(settings.port)",
                underlying: error
            )
        }
    }

    /// Runs `body` with a Redis client; fails with instructions when Redis is not reachable.
    package static func withRedis<Result: Sendable>(
        settings: RedisSettings? = nil,
        _ body: @Sendable (RedisClient) async throws -> Result
    ) async throws -> Result {
        let settings = try settings ?? redisSettings
        let client = RedisClient(settings: settings, logger: logger("tests.redis"))
        do {
            try await client.ping()
        } catch {
            await client.shutdown()
            throw InfrastructureMissing(
                component: "Redis",
                location: "\(settings.host):\(settings.port)",
                underlying: error
            )
        }
        do {
            let result = try await body(client)
            await client.shutdown()
            return result
        } catch {
            await client.shutdown()
            throw error
        }
    }

    /// A name no other test (or earlier run) uses, for schemas, keys and streams.
    package static func uniqueName(_ prefix: String) -> String {
        "\(prefix)_\(UUID().wireString.replacingOccurrences(of: "-", with: "").prefix(12))"
    }
}

/// A test needs Postgres or Redis and cannot reach it.
package struct InfrastructureMissing: Error, CustomStringConvertible {
    package var component: String
    package var location: String
    package var underlying: any Error

    package var description: String {
        "\(component) is not reachable at \(location) (\(underlying)). Run the tests with compose/local/test, "
            + "which starts it, or start the system with compose/local/up and set POSTGRES_PORT/REDIS_PORT to match."
    }
}
