import Foundation
import PostgresNIO
import ServiceKit
import Synchronization
import TestSupport
import Testing

@Suite("Database: leases, the acquire timeout, transactions")
struct DatabaseTests {
    /// A pool of one connection that gives up waiting for it after `acquireTimeout`.
    static func withOneConnection(
        acquireTimeout: Duration = .seconds(2),
        _ body: @Sendable (Database) async throws -> Void
    ) async throws {
        var settings = try TestInfrastructure.postgresSettings
        settings.poolSize = 1
        settings.acquireTimeout = acquireTimeout
        try await TestInfrastructure.withDatabase(settings: settings, body)
    }

    static func backendPID(_ connection: PostgresConnection) async throws -> Int32 {
        var pid: Int32 = 0
        for try await value in try await connection.query("SELECT pg_backend_pid()", logger: .init(label: "test"))
            .decode(Int32.self)
        {
            pid = value
        }
        return pid
    }

    @Test("waiting longer than the acquire timeout for a connection is DatabaseUnavailable, not a hang")
    func acquireTimeout() async throws {
        try await Self.withOneConnection { database in
            try await database.withConnection { _ in
                let started = ContinuousClock.now
                await #expect(throws: DatabaseUnavailable.self) {
                    try await database.withConnection { _ in }
                }
                #expect(ContinuousClock.now - started >= .seconds(2))
            }
            // Once the lease is back, the next caller gets it.
            try await database.withConnection { connection in _ = try await Self.backendPID(connection) }
        }
    }

    @Test("a body whose task is cancelled keeps its connection until it is done: nobody else gets it meanwhile")
    func cancellationKeepsTheLease() async throws {
        try await Self.withOneConnection { database in
            let (entered, enteredSignal) = AsyncStream.makeStream(of: Void.self)
            let release = Gate()
            let holder = Task {
                try await database.withConnection { connection in
                    _ = try await Self.backendPID(connection)
                    enteredSignal.yield()
                    await release.wait()
                }
            }
            var waiting = entered.makeAsyncIterator()
            _ = await waiting.next(isolation: nil)
            holder.cancel()
            await #expect(throws: DatabaseUnavailable.self, "the cancelled holder still has the only connection") {
                try await database.withConnection { _ in }
            }
            release.open()
            try await holder.value
            try await database.withConnection { connection in _ = try await Self.backendPID(connection) }
        }
    }

    @Test("a transaction commits what its body did, and rolls back and rethrows the body's own error")
    func transactions() async throws {
        struct Refused: Error {}
        try await Self.withOneConnection(acquireTimeout: .seconds(10)) { database in
            let logger = Logger(label: "test")
            let table = "database_tests_\(UInt32.random(in: 0...UInt32.max))"
            @Sendable func count() async throws -> Int {
                try await database.withConnection { connection in
                    var total = 0
                    for try await n in try await connection.query(
                        "SELECT count(*)::int FROM \(unescaped: table)",
                        logger: logger
                    ).decode(Int.self) {
                        total = n
                    }
                    return total
                }
            }
            try await database.withConnection { connection in
                try await connection.query("CREATE TABLE \(unescaped: table) (n int)", logger: logger)
            }
            try await database.withTransaction { connection in
                try await connection.query("INSERT INTO \(unescaped: table) VALUES (1)", logger: logger)
            }
            #expect(try await count() == 1)
            await #expect(throws: Refused.self) {
                try await database.withTransaction { connection in
                    try await connection.query("INSERT INTO \(unescaped: table) VALUES (2)", logger: logger)
                    throw Refused()
                }
            }
            #expect(try await count() == 1, "the failed transaction left nothing behind")
            try await database.withConnection { connection in
                try await connection.query("DROP TABLE \(unescaped: table)", logger: logger)
            }
        }
    }
}

/// A wait that ignores cancellation and ends when the test opens it.
private final class Gate: Sendable {
    private let state = Mutex<(open: Bool, waiter: CheckedContinuation<Void, Never>?)>((false, nil))

    func wait() async {
        await withCheckedContinuation { continuation in
            let proceed = state.withLock { state in
                if state.open { return true }
                state.waiter = continuation
                return false
            }
            if proceed { continuation.resume() }
        }
    }

    func open() {
        state.withLock { state in
            state.open = true
            return state.waiter.take()
        }?.resume()
    }
}
