import Logging
import PostgresNIO
import Synchronization

/// The service's Postgres pool with the deadlines the platform promises: waiting for a free connection is
/// bounded by `POSTGRES_ACQUIRE_TIMEOUT` (then the request gets a 503), and every statement by the server's
/// `statement_timeout`.
package struct Database: Sendable {
    /// The underlying pooled client; it is a `Service` and must run in the application's service group.
    package let client: PostgresClient
    package let acquireTimeout: Duration
    package let logger: Logger

    package init(settings: PostgresSettings, logger: Logger) {
        self.client = PostgresClient(configuration: settings.clientConfiguration, backgroundLogger: logger)
        self.acquireTimeout = settings.acquireTimeout
        self.logger = logger
    }

    /// Runs `body` on a pooled connection, failing with ``DatabaseUnavailable`` if none frees up in time.
    ///
    /// `body` runs in the caller's own task (so it need not be `@Sendable` nor escape, and reads the caller's
    /// properties directly): a child task leases the connection from the pool, hands it over and holds it
    /// until `body` is done, while a timer ends the wait for a connection after the acquire timeout.
    package func withConnection<Result: Sendable>(
        _ body: (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        let client = self.client
        let acquireTimeout = self.acquireTimeout
        let (connections, deliver) = AsyncThrowingStream.makeStream(of: PostgresConnection.self)
        let (done, finish) = AsyncStream.makeStream(of: Void.self)
        let timer = Task {
            try? await Task.sleep(for: acquireTimeout)
            if !Task.isCancelled { deliver.finish(throwing: DatabaseUnavailable(reason: .poolExhausted(acquireTimeout))) }
        }
        defer { timer.cancel() }
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                try await client.withConnection { connection in
                    deliver.yield(connection)
                    for await _ in done {}
                }
            }
            defer {
                finish.finish()
                group.cancelAll()
            }
            var waiting = connections.makeAsyncIterator()
            guard let connection = try await waiting.next() else { throw CancellationError() }
            timer.cancel()
            return try await body(connection)
        }
    }

    /// Runs `body` in one transaction on a pooled connection: committed if it returns, rolled back if it throws.
    /// The error `body` threw is rethrown as is (not wrapped), so callers match on their own error types.
    package func withTransaction<Result: Sendable>(
        _ body: (PostgresConnection) async throws -> Result
    ) async throws -> Result {
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
