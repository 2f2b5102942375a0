import Foundation
import Logging
import PostgresNIO
import ServiceKit
import ServiceLifecycle

/// A database and stream names of a test's own, so tests that run services with background workers (outbox
/// relays, consumers) in parallel never see each other's rows or events.
package struct IsolatedEnvironment: Sendable {
    /// The database created for the test.
    package let databaseName: String
    /// The event stream and dead-letter stream for the test.
    package let stream: String
    package let deadLetterStream: String

    /// The environment overrides that point a service at this isolation.
    package var overrides: [String: String] {
        [
            "POSTGRES_DATABASE": databaseName, "EVENTS_STREAM": stream, "EVENTS_DEAD_LETTER_STREAM": deadLetterStream,
            "CACHE_NAMESPACE": databaseName,
        ]
    }

    /// The events settings of this isolation, with the test's own timings.
    package func events(
        maxDeliveries: Int = 3,
        claimIdle: Duration = .seconds(60),
        retryInterval: Duration = .milliseconds(100)
    ) -> EventsSettings {
        EventsSettings(
            stream: stream,
            deadLetterStream: deadLetterStream,
            maxDeliveries: maxDeliveries,
            claimIdle: claimIdle,
            retryInterval: retryInterval,
            outboxBatchSize: 200,
            outboxPollInterval: .milliseconds(50)
        )
    }

    /// Runs `body` with a fresh database and fresh stream names, dropped afterwards.
    package static func with<Result: Sendable>(
        _ body: @Sendable (IsolatedEnvironment) async throws -> Result
    ) async throws -> Result {
        let name = TestInfrastructure.uniqueName("test")
        let environment = IsolatedEnvironment(
            databaseName: name,
            stream: "\(name).events",
            deadLetterStream: "\(name).events.dead"
        )
        _ = try await TestInfrastructure.administer { connection in
            try await connection.query(
                PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"),
                logger: TestInfrastructure.logger("test")
            )
        }
        do {
            let result = try await body(environment)
            await environment.tearDown()
            return result
        } catch {
            await environment.tearDown()
            throw error
        }
    }

    /// Runs `body` with a pool on the isolated database.
    package func withDatabase<Result: Sendable>(
        _ body: @Sendable (Database) async throws -> Result
    ) async throws -> Result {
        var settings = try TestInfrastructure.postgresSettings
        settings.database = databaseName
        let database = Database(settings: settings, logger: TestInfrastructure.logger("tests.postgres"))
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await database.client.run() }
            defer { group.cancelAll() }
            return try await body(database)
        }
    }

    private func tearDown() async {
        _ = try? await TestInfrastructure.administer { connection in
            try await connection.query(
                PostgresQuery(unsafeSQL: "DROP DATABASE IF EXISTS \(databaseName) WITH (FORCE)"),
                logger: TestInfrastructure.logger("test")
            )
        }
        _ = try? await TestInfrastructure.withRedis { redis in
            try await redis.delete([stream, deadLetterStream])
        }
    }
}

/// Waits until `condition` holds, checking every 20 ms, or fails after `timeout` with `message`. The timeout
/// is generous on purpose: it costs nothing when the condition holds, and a loaded CI machine is not a fault
/// (speed is measured by the benchmarks, not by tests).
package func eventually(
    timeout: Duration = .seconds(60),
    _ message: @autoclosure () -> String = "condition not met in time",
    _ condition: () async throws -> Bool
) async throws {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(20))
    }
    throw EventuallyTimedOut(message: message())
}

/// A condition awaited with ``eventually(timeout:_:_:)`` never held.
package struct EventuallyTimedOut: Error, CustomStringConvertible {
    package var message: String
    package var description: String { message }
}

/// Runs `services` in a service group while `body` runs, then shuts them down gracefully and waits for them.
/// Services that stop before `body` is done cancel it and fail the call with ``ServicesStopped``, so a test
/// waiting for a service that died fails with the reason instead of hanging.
package func withRunningServices<Result: Sendable>(
    _ services: [any Service],
    _ body: @Sendable () async throws -> Result
) async throws -> Result {
    try await withoutActuallyEscaping(body) { body in
        try await run(services, body)
    }
}

/// ``withRunningServices(_:_:)`` with `body` free to be run by a child task, which ends before this returns.
private func run<Result: Sendable>(
    _ services: [any Service],
    _ body: @escaping @Sendable () async throws -> Result
) async throws -> Result {
    let group = ServiceGroup(
        configuration: .init(
            services: services,
            gracefulShutdownSignals: [],
            logger: TestInfrastructure.logger("services")
        )
    )
    return try await withThrowingTaskGroup(of: Result.self) { tasks in
        tasks.addTask {
            do {
                try await group.run()
            } catch {
                throw ServicesStopped(underlying: error)
            }
            throw ServicesStopped(underlying: nil)
        }
        tasks.addTask { try await body() }
        do {
            // The body's result, unless the services stopped (or the body threw) first.
            guard let result = try await tasks.next() else { throw CancellationError() }
            await group.triggerGracefulShutdown()
            do {
                _ = try await tasks.next()
            } catch let stopped as ServicesStopped where stopped.underlying == nil {
                // The graceful shutdown asked for above.
            }
            return result
        } catch {
            await group.triggerGracefulShutdown()
            tasks.cancelAll()
            throw error
        }
    }
}

/// Services run by ``withRunningServices(_:_:)`` stopped before the test was done with them.
package struct ServicesStopped: Error, CustomStringConvertible {
    package var underlying: (any Error)?
    package var description: String {
        "the services stopped before the test was done: \(underlying.map { String(reflecting: $0) } ?? "no error")"
    }
}
