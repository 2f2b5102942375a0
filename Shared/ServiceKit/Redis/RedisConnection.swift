import Logging
import NIOCore
import NIOPosix

/// One connection to Redis, shared by any number of concurrent callers through pipelining.
///
/// The pool in ``RedisClient`` holds a few of these; a blocking read (`XREADGROUP BLOCK`) gets one of its own
/// from ``RedisClient/makeDedicatedConnection()`` so it never stalls other commands.
package final class RedisConnection: RedisCommandExecutor {
    private let channel: any Channel
    private let commandTimeout: Duration
    private let health: ConnectionHealth

    private init(channel: any Channel, commandTimeout: Duration, health: ConnectionHealth) {
        self.channel = channel
        self.commandTimeout = commandTimeout
        self.health = health
    }

    /// Whether the connection is open and has not failed.
    package var isActive: Bool { channel.isActive && !health.isFailed }

    /// Sends `command` and waits for its reply for at most the connection's command timeout.
    package func send(_ command: RedisCommand) async throws -> RESPValue {
        try await send(command, timeout: commandTimeout)
    }

    /// Sends `command` and waits for its reply for at most `timeout`. An error reply is thrown as ``RedisError/server(_:)``.
    package func send(_ command: RedisCommand, timeout: Duration) async throws -> RESPValue {
        let reply = try await enqueue(command, deadline: Self.deadline(after: timeout)).get()
        if case .error(let message) = reply { throw RedisError.server(message) }
        return reply
    }

    /// Sends `commands` back to back on this connection, in order, and returns each reply (or error) in the
    /// same order: one flush for the whole batch, and Redis applies them in sequence.
    package func pipeline(
        _ commands: [RedisCommand],
        timeout: Duration? = nil
    ) async throws -> [Result<RESPValue, RedisError>] {
        let deadline = Self.deadline(after: timeout ?? commandTimeout)
        let futures = try commands.map { try enqueue($0, deadline: deadline) }
        // One wait for the whole pipeline: awaiting each reply in turn resumed this task once per command.
        let replies = try await EventLoopFuture.whenAllComplete(futures, on: channel.eventLoop).get()
        return replies.map { reply in
            switch reply {
            case .success(.error(let message)): .failure(.server(message))
            case .success(let value): .success(value)
            case .failure(let error as RedisError): .failure(error)
            case .failure(let error): .failure(.connectionFailed(String(describing: error)))
            }
        }
    }

    /// Encodes `command` and hands it to the pipelining handler; the future completes with its reply.
    ///
    /// The write's own promise fails the reply too: a write on a channel that has closed never reaches the
    /// handler (NIO has removed it) and fails only at the head of the pipeline, so without this the reply
    /// promise would never be completed and its caller would wait forever, with no timer left to end the wait.
    private func enqueue(_ command: RedisCommand, deadline: NIODeadline) throws -> EventLoopFuture<RESPValue> {
        var bytes = channel.allocator.buffer(capacity: 64)
        try command.encode(into: &bytes)
        let reply = channel.eventLoop.makePromise(of: RESPValue.self)
        let written = channel.eventLoop.makePromise(of: Void.self)
        written.futureResult.whenFailure { error in
            reply.fail((error as? RedisError) ?? .connectionClosed)
        }
        channel.write(RedisRequest(bytes: bytes, promise: reply, deadline: deadline), promise: written)
        return reply.futureResult
    }

    private static func deadline(after timeout: Duration) -> NIODeadline {
        .now() + .nanoseconds(Int64(timeout.milliseconds) * 1_000_000)
    }

    /// Closes the connection; commands still waiting fail with ``RedisError/connectionClosed``.
    package func close() async {
        try? await channel.close()
    }

    /// Starts closing the connection without waiting (from a synchronous shutdown handler).
    package func closeSoon() {
        channel.close(promise: nil)
    }

    /// The TCP options every Redis connection uses. `TCP_NODELAY` is a TCP-level option (`tcpOption`):
    /// `socketOption(.tcp_nodelay)` would set option 1 at the socket level, which is `SO_DEBUG`, refused
    /// without `CAP_NET_ADMIN`, so every connection failed in a container or as an ordinary user.
    static func bootstrap(settings: RedisSettings, group: any EventLoopGroup) -> ClientBootstrap {
        ClientBootstrap(group: group)
            .connectTimeout(.milliseconds(settings.connectTimeout.milliseconds))
            .channelOption(.socketOption(.so_keepalive), value: 1)
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
    }

    /// The commands that prepare a new connection: `AUTH` and `SELECT` as configured.
    static func handshake(settings: RedisSettings) -> [RedisCommand] {
        var commands: [RedisCommand] = []
        if let password = settings.password { commands.append(RedisCommand("AUTH", [.string(password)])) }
        if settings.database != 0 { commands.append(RedisCommand("SELECT", [.int(settings.database)])) }
        return commands
    }

    /// Opens a connection, authenticates and selects the database.
    static func connect(settings: RedisSettings, group: any EventLoopGroup) async throws(RedisError) -> RedisConnection
    {
        let sweepMilliseconds = max(10, min(250, settings.commandTimeout.milliseconds / 4))
        let channel: any Channel
        let health = ConnectionHealth()
        do {
            channel = try await bootstrap(settings: settings, group: group)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandlers(
                            ByteToMessageHandler(RESPReplyDecoder()),
                            RedisCommandHandler(sweepInterval: .milliseconds(sweepMilliseconds), health: health)
                        )
                    }
                }
                .connect(host: settings.host, port: settings.port)
                .get()
        } catch {
            throw .connectionFailed("\(settings.host):\(settings.port): \(error)")
        }
        let connection = RedisConnection(channel: channel, commandTimeout: settings.commandTimeout, health: health)
        do {
            for command in handshake(settings: settings) {
                _ = try await connection.send(command)
            }
        } catch {
            await connection.close()
            throw .connectionFailed("\(settings.host):\(settings.port): \(error)")
        }
        return connection
    }
}
