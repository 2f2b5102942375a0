import Logging
import PostgresNIO
import Prometheus
import Synchronization

/// The service's Postgres pool with the deadlines the platform promises: waiting for a free connection is
/// bounded by `POSTGRES_ACQUIRE_TIMEOUT` (then the request gets a 503), and every statement by the server's
/// `statement_timeout`.
package struct Database: Sendable {
    /// The underlying pooled client; it is a `Service` and must run in the application's service group.
    package let client: PostgresClient
    package let acquireTimeout: Duration
    package let logger: Logger
    /// `postgres_pool_wait_seconds`: how long each lease waited for a connection (a timeout counts too).
    private let waits: DurationHistogram
    /// `postgres_pool_connections{state="in_use"}`: connections leased now; `state="max"` is the pool's size.
    private let inUse: Gauge

    package init(settings: PostgresSettings, logger: Logger, metrics: ServiceMetrics = ServiceMetrics()) {
        self.client = PostgresClient(configuration: settings.clientConfiguration, backgroundLogger: logger)
        self.acquireTimeout = settings.acquireTimeout
        self.logger = logger
        waits = metrics.registry.makeDurationHistogram(
            descriptor: .init(
                metricName: "postgres_pool_wait",
                unitName: "seconds",
                helpText: "Time spent waiting for a pooled Postgres connection."
            ),
            labels: [],
            buckets: [
                .microseconds(100), .milliseconds(1), .milliseconds(5), .milliseconds(25), .milliseconds(100),
                .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(5),
            ]
        )
        let help = "Pooled Postgres connections: in use now, and the most the pool opens."
        inUse = metrics.gauge("postgres_pool_connections", help: help, labels: [("state", "in_use")])
        metrics.gauge("postgres_pool_connections", help: help, labels: [("state", "max")])
            .set(to: Double(settings.poolSize))
    }

    /// Runs `body` on a pooled connection, failing with ``DatabaseUnavailable`` if none frees up in time.
    ///
    /// `body` runs in the caller's own task, so it need not be `@Sendable` nor escape and reads the caller's
    /// properties directly. A child task leases the connection from the pool, hands it over and holds the lease
    /// until `body` is done, whatever happens to either task meanwhile (cancellation included: the lease is
    /// never returned while `body` still uses the connection); a timer ends the wait for a connection after
    /// the acquire timeout.
    package func withConnection<Result>(_ body: (PostgresConnection) async throws -> Result) async throws -> Result {
        let client = self.client
        let acquireTimeout = self.acquireTimeout
        let lent = HandOver<PostgresConnection>()
        let done = HandOver<Void>()
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                do {
                    try await client.withConnection { connection in
                        guard lent.deliver(.success(connection)) else { return }
                        _ = try? await done.value()
                    }
                } catch {
                    lent.deliver(.failure(error))
                }
            }
            group.addTask {
                try? await Task.sleep(for: acquireTimeout)
                let expired = DatabaseUnavailable(reason: .poolExhausted(acquireTimeout))
                lent.deliver(.failure(Task.isCancelled ? CancellationError() : expired))
            }
            defer {
                done.deliver(.success(()))
                group.cancelAll()
            }
            let waiting = ContinuousClock.now
            let connection: PostgresConnection
            do {
                connection = try await lent.value()
                waits.record(ContinuousClock.now - waiting)
            } catch {
                waits.record(ContinuousClock.now - waiting)
                throw error
            }
            inUse.increment()
            defer { inUse.decrement() }
            return try await body(connection)
        }
    }

    /// Runs `body` in one transaction on a pooled connection: committed if it returns, rolled back if it throws.
    /// The error `body` threw is rethrown as is (not wrapped), so callers match on their own error types.
    package func withTransaction<Result>(_ body: (PostgresConnection) async throws -> Result) async throws -> Result {
        let logger = self.logger
        return try await withConnection { connection in
            do {
                return try await connection.withTransaction(logger: logger) { connection in
                    try await body(connection)
                }
            } catch let error as PostgresTransactionError {
                if let rollbackError = error.rollbackError {
                    logger.error(
                        "transaction rollback failed",
                        metadata: ["error": "\(String(reflecting: rollbackError))"]
                    )
                }
                throw error.closureError ?? error.beginError ?? error.commitError ?? error
            }
        }
    }

    /// Whether the database answers a trivial query.
    package func ping() async throws {
        try await withConnection { connection in
            _ = try await connection.query("SELECT 1", logger: Logger(label: "ping")).collect()
            return ()
        }
    }
}

/// One value handed from one task to another, once: the first delivery wins, later ones are refused. Waiting
/// for it ignores cancellation on purpose: the other side always delivers (see `Database.withConnection`).
private final class HandOver<Value: Sendable>: Sendable {
    private enum State {
        case empty
        case awaited(CheckedContinuation<Value, any Error>)
        case delivered(Result<Value, any Error>)
    }

    private let state = Mutex<State>(.empty)

    /// Delivers `result`; false when something was delivered before.
    @discardableResult
    func deliver(_ result: Result<Value, any Error>) -> Bool {
        let outcome: (delivered: Bool, waiter: CheckedContinuation<Value, any Error>?) = state.withLock { state in
            switch state {
            case .empty:
                state = .delivered(result)
                return (true, nil)
            case .awaited(let continuation):
                state = .delivered(result)
                return (true, continuation)
            case .delivered:
                return (false, nil)
            }
        }
        outcome.waiter?.resume(with: result)
        return outcome.delivered
    }

    /// The value delivered, once it is.
    func value() async throws -> Value {
        try await withCheckedThrowingContinuation { continuation in
            let delivered: Result<Value, any Error>? = state.withLock { state in
                switch state {
                case .empty:
                    state = .awaited(continuation)
                    return nil
                case .delivered(let result):
                    return result
                case .awaited:
                    preconditionFailure("a hand-over has one receiver")
                }
            }
            if let delivered { continuation.resume(with: delivered) }
        }
    }
}

/// The database cannot take the request now; answered 503 with `Retry-After`.
package struct DatabaseUnavailable: Error, CustomStringConvertible {
    package enum Reason: Sendable {
        case poolExhausted(Duration)
    }

    package var reason: Reason

    package var description: String {
        switch reason {
        case .poolExhausted(let timeout): "no database connection became free within \(timeout)"
        }
    }
}
