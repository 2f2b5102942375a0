import Logging
import NIOCore
import NIOPosix
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

    package init(
        settings: RedisSettings,
        logger: Logger,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) {
        self.settings = settings
        self.group = group
        self.logger = logger
        self.slots = (0..<settings.connections).map { _ in
            ConnectionSlot(settings: settings, group: group, logger: logger)
        }
    }

    package func send(_ command: RedisCommand) async throws -> RESPValue {
        try await nextConnection().send(command)
    }

    /// Sends `commands` in order on one pooled connection and returns each reply in the same order.
    package func pipeline(_ commands: [RedisCommand]) async throws -> [Result<RESPValue, RedisError>] {
        try await nextConnection().pipeline(commands)
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

    init(settings: RedisSettings, group: any EventLoopGroup, logger: Logger) {
        self.settings = settings
        self.group = group
        self.logger = logger
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
