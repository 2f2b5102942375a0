import Logging
import NIOCore
import NIOPosix

/// What a subscription delivers.
package enum RedisPubSubEvent: Sendable, Equatable {
    /// A message published on `channel`.
    case message(channel: String, payload: ByteBuffer)
    /// The subscription is in place for the first time: every message published from now on is delivered.
    /// A subscriber that mirrors state kept elsewhere reads it now, so that nothing falls between the two.
    case subscribed
    /// The subscription was re-established after its connection dropped: messages may have been missed
    /// in between, so a subscriber that keeps derived state should resynchronize.
    case resubscribed
}

/// The events of one subscription, in the order Redis delivered them.
package struct RedisSubscription: AsyncSequence, Sendable {
    package typealias Element = RedisPubSubEvent
    fileprivate let stream: AsyncStream<RedisPubSubEvent>

    package func makeAsyncIterator() -> AsyncStream<RedisPubSubEvent>.Iterator {
        stream.makeAsyncIterator()
    }
}

extension RedisClient {
    /// Subscribes to `channels` on a connection of its own and hands the events to `body` as an async
    /// sequence, starting with ``RedisPubSubEvent/subscribed``. When the connection drops it reconnects with
    /// back-off, subscribes again and delivers ``RedisPubSubEvent/resubscribed``. The subscription ends when `body` returns.
    package func withSubscription<Result>(
        to channels: [String],
        logger: Logger,
        _ body: (RedisSubscription) async throws -> Result
    ) async throws -> Result {
        let (stream, continuation) = AsyncStream.makeStream(
            of: RedisPubSubEvent.self,
            bufferingPolicy: .bufferingNewest(10_000)
        )
        let settings = self.settings
        let group = MultiThreadedEventLoopGroup.singleton
        return try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask {
                await Self.deliver(channels, settings: settings, group: group, logger: logger, to: continuation)
            }
            defer { tasks.cancelAll() }
            return try await body(RedisSubscription(stream: stream))
        }
    }

    /// Keeps one subscribed connection alive until cancelled, yielding every message to `continuation`.
    private static func deliver(
        _ channels: [String],
        settings: RedisSettings,
        group: any EventLoopGroup,
        logger: Logger,
        to continuation: AsyncStream<RedisPubSubEvent>.Continuation
    ) async {
        var failures = 0
        var subscribedBefore = false
        while !Task.isCancelled {
            do {
                let channel = try await RedisConnection.bootstrap(settings: settings, group: group)
                    .connect(host: settings.host, port: settings.port) { channel in
                        channel.eventLoop.makeCompletedFuture {
                            try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(RESPReplyDecoder()))
                            return try NIOAsyncChannel<RESPValue, ByteBuffer>(wrappingChannelSynchronously: channel)
                        }
                    }
                try await channel.executeThenClose { inbound, outbound in
                    var replies = inbound.makeAsyncIterator()
                    for command in RedisConnection.handshake(settings: settings) {
                        try await outbound.write(try encoded(command, allocator: channel.channel.allocator))
                        if case .error(let message) = try await replies.next() { throw RedisError.server(message) }
                    }
                    let subscribe = RedisCommand("SUBSCRIBE", channels.map { .string($0) })
                    try await outbound.write(try encoded(subscribe, allocator: channel.channel.allocator))
                    var confirmed = 0
                    while let reply = try await replies.next() {
                        guard let parts = reply.array, let kind = parts.first?.string else { continue }
                        switch kind {
                        case "subscribe":
                            confirmed += 1
                            if confirmed == channels.count {
                                if subscribedBefore {
                                    logger.info(
                                        "redis subscription restored",
                                        metadata: ["redis.channels": "\(channels)"]
                                    )
                                    continuation.yield(.resubscribed)
                                } else {
                                    continuation.yield(.subscribed)
                                }
                                subscribedBefore = true
                                failures = 0
                            }
                        case "message":
                            if parts.count == 3, let name = parts[1].string, let payload = parts[2].bytes {
                                continuation.yield(.message(channel: name, payload: payload))
                            }
                        default:
                            continue
                        }
                    }
                }
            } catch {
                if failures == 0 && !Task.isCancelled {
                    logger.warning("redis subscription lost", metadata: ["error": "\(error)"])
                }
            }
            failures += 1
            try? await Task.sleep(for: Backoff.delay(attempt: failures, base: .milliseconds(100), cap: .seconds(5)))
        }
        continuation.finish()
    }

    private static func encoded(_ command: RedisCommand, allocator: ByteBufferAllocator) throws -> ByteBuffer {
        var buffer = allocator.buffer(capacity: 64)
        try command.encode(into: &buffer)
        return buffer
    }
}
