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
    package func withConnection<Result: Sendable>(
        _ body: @escaping @Sendable (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        let acquired = Flag()
        let client = self.client
        let acquireTimeout = self.acquireTimeout
        return try await withThrowingTaskGroup(of: Result?.self) { group in
            group.addTask {
                try await client.withConnection { connection in
                    acquired.set()
                    return try await body(connection)
                }
            }
            group.addTask {
                try await Task.sleep(for: acquireTimeout)
                guard acquired.isSet else { throw DatabaseUnavailable(reason: .poolExhausted(acquireTimeout)) }
                return nil
            }
            defer { group.cancelAll() }
            while let next = try await group.next() {
                if let result = next { return result }
            }
            throw CancellationError()
        }
    }

    /// Runs `body` in one transaction on a pooled connection: committed if it returns, rolled back if it throws.
    /// The error `body` threw is rethrown as is (not wrapped), so callers match on their own error types.
    package func withTransaction<Result: Sendable>(
        _ body: @escaping @Sendable (PostgresConnection) async throws -> Result
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
