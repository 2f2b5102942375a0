import Logging
import NIOCore
import NIOPosix
import Prometheus
import ServiceLifecycle
import Synchronization

/// Anything that can run a Redis command: the pooled ``RedisClient`` or one ``RedisConnection``.
package protocol RedisCommandExecutor: Sendable {
    /// Sends `command` and returns its reply; an error reply is thrown as ``RedisError/server(_:)``.
    func send(_ command: RedisCommand) async throws -> RESPValue
}

/// The service's Redis client: a few multiplexed connections shared by every caller, each reconnecting
/// on its own with exponential back-off. It is a `Service`: it closes its connections on shutdown.
package final class RedisClient: RedisCommandExecutor, Service {
    package let settings: RedisSettings
    private let slots: [ConnectionSlot]
    private let nextSlot = Atomic<Int>(0)
    private let group: any EventLoopGroup
    private let logger: Logger
    /// `redis_command_errors_total` by kind: `timeout`, `connection` (not reached, or lost before the reply),
    /// `server` (an error reply, or a reply of the wrong shape).
    private let errors: (timeout: Counter, connection: Counter, server: Counter)

    package init(
        settings: RedisSettings,
        logger: Logger,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        metrics: ServiceMetrics = ServiceMetrics()
    ) {
        self.settings = settings
        self.group = group
        self.logger = logger
        let reconnects = metrics.registry.makeCounter(
            descriptor: .init(
                metricName: "redis_reconnects",
                unitName: "total",
                helpText: "Connections to Redis made again after an earlier one was lost."
            ),
            labels: []
        )
        self.slots = (0..<settings.connections).map { _ in
            ConnectionSlot(settings: settings, group: group, logger: logger, reconnects: reconnects)
        }
        func errors(_ kind: String) -> Counter {
            metrics.registry.makeCounter(
                descriptor: .init(
                    metricName: "redis_command_errors",
                    unitName: "total",
                    helpText: "Redis commands that failed, by kind."
                ),
                labels: [("kind", kind)]
            )
        }
        self.errors = (errors("timeout"), errors("connection"), errors("server"))
    }

    package func send(_ command: RedisCommand) async throws -> RESPValue {
        do {
            return try await nextConnection().send(command)
        } catch {
            count(error)
            throw error
        }
    }

    /// Sends `commands` in order on one pooled connection and returns each reply in the same order.
    package func pipeline(_ commands: [RedisCommand]) async throws -> [Result<RESPValue, RedisError>] {
        do {
            let replies = try await nextConnection().pipeline(commands)
            for case .failure(let error) in replies { count(error) }
            return replies
        } catch {
            count(error)
            throw error
        }
    }

    private func count(_ error: any Error) {
        switch error as? RedisError {
        case .timeout: errors.timeout.increment()
        case .server, .unexpectedReply: errors.server.increment()
        case .shutdown: break
        default: errors.connection.increment()
        }
    }

    /// The pooled connections in turn, passing over one that waits out a reconnection back-off while another
    /// does not: after Redis comes back, the first connection to reconnect serves every command instead of
    /// half of them failing until each has its turn. When all wait, the turn's slot refuses as before.
    private func nextConnection() async throws -> RedisConnection {
        let turn = Int(UInt(bitPattern: nextSlot.wrappingAdd(1, ordering: .relaxed).oldValue) % UInt(slots.count))
        for offset in 0..<slots.count {
            let slot = slots[(turn + offset) % slots.count]
            if !slot.isWaitingOutBackoff { return try await slot.connection() }
        }
        return try await slots[turn].connection()
    }

    /// A connection of its own, for blocking commands; the caller closes it.
    package func makeDedicatedConnection() async throws(RedisError) -> RedisConnection {
        try await RedisConnection.connect(settings: settings, group: group)
    }

    /// Waits for graceful shutdown, then closes every connection.
    package func run() async throws {
        try? await gracefulShutdown()
        await shutdown()
    }

    /// Closes every connection; later commands fail with ``RedisError/shutdown``.
    package func shutdown() async {
        for slot in slots { await slot.close() }
    }
}

/// One pooled connection and its life: connected, being connected, or waiting out a back-off after failures.
private final class ConnectionSlot: Sendable {
    private enum State {
        case idle(failures: Int, retryAt: ContinuousClock.Instant?)
        case connecting(EventLoopFuture<RedisConnection>)
        case connected(RedisConnection)
        case closed
    }

    private enum Step {
        case use(RedisConnection)
        case wait(EventLoopFuture<RedisConnection>)
        case connect(EventLoopPromise<RedisConnection>, failures: Int)
        case fail(RedisError)
    }

    private let state = Mutex<State>(.idle(failures: 0, retryAt: nil))
    private let settings: RedisSettings
    private let group: any EventLoopGroup
    private let logger: Logger
    private let reconnects: Counter
    /// Whether a connection was ever made: every later one is a reconnection.
    private let connectedBefore = Atomic<Bool>(false)

    init(settings: RedisSettings, group: any EventLoopGroup, logger: Logger, reconnects: Counter) {
        self.settings = settings
        self.group = group
        self.logger = logger
        self.reconnects = reconnects
    }

    func connection() async throws -> RedisConnection {
        let group = self.group
        let step: Step = state.withLock { state in
            if case .connected(let connection) = state {
                if connection.isActive { return .use(connection) }
                state = .idle(failures: 0, retryAt: nil)
            }
            switch state {
            case .connected(let connection):
                return .use(connection)
            case .connecting(let future):
                return .wait(future)
            case .idle(let failures, let retryAt):
                if let retryAt, retryAt > .now {
                    return .fail(.connectionFailed("reconnecting after \(failures) failed attempts"))
                }
                let promise = group.next().makePromise(of: RedisConnection.self)
                state = .connecting(promise.futureResult)
                return .connect(promise, failures: failures)
            case .closed:
                return .fail(.shutdown)
            }
        }
        switch step {
        case .use(let connection):
            return connection
        case .wait(let future):
            return try await future.get()
        case .fail(let error):
            throw error
        case .connect(let promise, let failures):
            do {
                let connection = try await RedisConnection.connect(settings: settings, group: group)
                let accepted = state.withLock { state in
                    if case .closed = state { return false }
                    state = .connected(connection)
                    return true
                }
                guard accepted else {
                    await connection.close()
                    promise.fail(RedisError.shutdown)
                    throw RedisError.shutdown
                }
                if failures > 0 { logger.info("redis reconnected", metadata: ["redis.failures": "\(failures)"]) }
                if connectedBefore.exchange(true, ordering: .relaxed) { reconnects.increment() }
                promise.succeed(connection)
                return connection
            } catch {
                let delay = Backoff.delay(attempt: failures + 1, base: .milliseconds(50), cap: .seconds(2))
                state.withLock { state in
                    if case .closed = state { return }
                    state = .idle(failures: failures + 1, retryAt: .now + delay)
                }
                if failures == 0 {
                    logger.warning("redis connection failed", metadata: ["error": "\(error)"])
                }
                promise.fail(error)
                throw error
            }
        }
    }

    /// Whether the slot would refuse a command now, waiting out a back-off after failed connection attempts.
    var isWaitingOutBackoff: Bool {
        state.withLock { state in
            if case .idle(_, let retryAt?) = state { return retryAt > .now }
            return false
        }
    }

    func close() async {
        let connection: RedisConnection? = state.withLock { state in
            defer { state = .closed }
            if case .connected(let connection) = state { return connection }
            return nil
        }
        await connection?.close()
    }
}
