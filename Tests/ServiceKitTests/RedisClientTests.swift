import NIOCore
import ServiceKit
import TestSupport
import Testing

@Suite("Redis client (real Redis)")
struct RedisClientTests {
    @Test("replies reach the right caller among 1,000 concurrent ones")
    func replyOrder() async throws {
        try await TestInfrastructure.withRedis { redis in
            let prefix = TestInfrastructure.uniqueName("order")
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<1000 {
                    group.addTask {
                        try await redis.set(
                            "\(prefix):\(index)",
                            to: .string("value-\(index)"),
                            expiresIn: .seconds(60)
                        )
                    }
                }
                try await group.waitForAll()
            }
            try await withThrowingTaskGroup(of: (Int, String?).self) { group in
                for index in 0..<1000 {
                    group.addTask { (index, try await redis.getString("\(prefix):\(index)")) }
                }
                for try await (index, value) in group {
                    #expect(value == "value-\(index)")
                }
            }
        }
    }

    @Test("values are binary-safe, 1 MiB included")
    func binarySafe() async throws {
        try await TestInfrastructure.withRedis { redis in
            let key = TestInfrastructure.uniqueName("binary")
            let bytes: [UInt8] = [0, 13, 10, 36, 42, 255, 0, 58, 45, 43] + (0..<256).map { UInt8($0) }
            try await redis.set(key, to: .bytes(ByteBuffer(bytes: bytes)), expiresIn: .seconds(60))
            #expect(try await redis.get(key) == ByteBuffer(bytes: bytes))

            var large = ByteBuffer()
            for index in 0..<(1 << 20) { large.writeInteger(UInt8(truncatingIfNeeded: index &* 31)) }
            try await redis.set(key, to: .bytes(large), expiresIn: .seconds(60))
            #expect(try await redis.get(key) == large)
            #expect(try await redis.get(TestInfrastructure.uniqueName("missing")) == nil)
            try await redis.delete([key])
        }
    }

    @Test("error replies are typed and leave the connection usable")
    func errorReplies() async throws {
        try await TestInfrastructure.withRedis { redis in
            let key = TestInfrastructure.uniqueName("wrongtype")
            try await redis.set(key, to: "text", expiresIn: .seconds(60))
            await #expect {
                try await redis.increment(key)
            } throws: { error in
                guard case RedisError.server(let message) = error else { return false }
                return message.hasPrefix("ERR")
            }
            await #expect(throws: RedisError.self) {
                try await redis.send(RedisCommand("NOSUCHCOMMAND"))
            }
            let counter = TestInfrastructure.uniqueName("counter")
            #expect(try await redis.increment(counter) == 1)
            #expect(try await redis.increment(counter) == 2)
            try await redis.delete([key, counter])
        }
    }

    @Test("EVALSHA loads the script again after SCRIPT FLUSH")
    func noscriptRecovery() async throws {
        try await TestInfrastructure.withRedis { redis in
            let script = RedisScript("return redis.call('INCRBY', KEYS[1], ARGV[1])")
            let key = TestInfrastructure.uniqueName("script")
            _ = try await redis.send(RedisCommand("SCRIPT", ["FLUSH"]))
            #expect(try await redis.evaluate(script, keys: [key], arguments: [5]).int == 5)
            _ = try await redis.send(RedisCommand("SCRIPT", ["FLUSH"]))
            #expect(try await redis.evaluate(script, keys: [key], arguments: [2]).int == 7)
            try await redis.delete([key])
        }
    }

    @Test("SET NX and expiry behave as Redis documents")
    func setOptions() async throws {
        try await TestInfrastructure.withRedis { redis in
            let key = TestInfrastructure.uniqueName("lease")
            #expect(try await redis.set(key, to: "a", expiresIn: .seconds(10), onlyIfAbsent: true))
            #expect(try await !redis.set(key, to: "b", expiresIn: .seconds(10), onlyIfAbsent: true))
            #expect(try await redis.getString(key) == "a")
            let ttl = try await redis.integer(RedisCommand("PTTL", [.string(key)]))
            #expect((1...10_000).contains(ttl))
            try await redis.set(key, to: "c", expiresIn: .milliseconds(100))
            try await Task.sleep(for: .milliseconds(300))
            #expect(try await redis.getString(key) == nil)
        }
    }

    @Test("published messages reach a subscriber, in order")
    func pubSub() async throws {
        try await TestInfrastructure.withRedis { redis in
            let channel = TestInfrastructure.uniqueName("channel")
            let received = try await redis.withSubscription(to: [channel], logger: TestInfrastructure.logger("sub")) {
                subscription in
                try await withDeadline(.seconds(60), waitingFor: "the three published messages") {
                    try await withThrowingTaskGroup(of: [String].self) { group in
                        group.addTask {
                            var messages: [String] = []
                            for await event in subscription {
                                if case .message(let name, let payload) = event, name == channel {
                                    messages.append(String(buffer: payload))
                                    if messages.count == 3 { break }
                                }
                            }
                            return messages
                        }
                        group.addTask {
                            // Messages published before the subscription is in place reach nobody: repeat the
                            // first until it is delivered, then send the rest.
                            while try await redis.publish("m0", to: channel) == 0 {
                                try await Task.sleep(for: .milliseconds(20))
                            }
                            try await redis.publish("m1", to: channel)
                            try await redis.publish("m2", to: channel)
                            return []
                        }
                        var collected: [String] = []
                        for try await messages in group where !messages.isEmpty { collected = messages }
                        return collected
                    }
                }
            }
            #expect(received == ["m0", "m1", "m2"])
        }
    }

    @Test("a stream round trip with a consumer group: add, read, pending, ack, autoclaim")
    func streamRoundTrip() async throws {
        try await TestInfrastructure.withRedis { redis in
            let stream = TestInfrastructure.uniqueName("stream")
            #expect(try await redis.streamCreateGroup(stream, group: "g"))
            #expect(try await !redis.streamCreateGroup(stream, group: "g"))
            var ids: [String] = []
            for index in 0..<5 {
                ids.append(try await redis.streamAdd(stream, fields: [StreamField("n", "\(index)")], maxLength: 1000))
            }
            let first = try await redis.streamReadGroup(stream, group: "g", consumer: "c1", count: 3)
            #expect(first.map(\.id) == Array(ids.prefix(3)))
            #expect(first.map { $0[field: "n"].map { String(buffer: $0) } } == ["0", "1", "2"])
            #expect(try await redis.streamPendingCount(stream, group: "g") == 3)

            #expect(try await redis.streamAcknowledge(stream, group: "g", ids: [ids[0]]) == 1)
            let pending = try await redis.streamPending(stream, group: "g", count: 10)
            #expect(pending.map(\.id) == [ids[1], ids[2]])
            #expect(pending.allSatisfy { $0.consumer == "c1" && $0.deliveries == 1 })

            // Entries of a consumer that went away are taken over by another.
            let claimed = try await redis.streamAutoClaim(stream, group: "g", consumer: "c2", minIdle: .zero, count: 10)
            #expect(claimed.entries.map(\.id) == [ids[1], ids[2]])
            let afterClaim = try await redis.streamPending(stream, group: "g", count: 10)
            #expect(afterClaim.allSatisfy { $0.consumer == "c2" && $0.deliveries == 2 })

            // A re-read of one's own pending entries after a restart starts at 0.
            let own = try await redis.streamReadGroup(stream, group: "g", consumer: "c2", count: 10, id: "0")
            #expect(own.map(\.id) == [ids[1], ids[2]])

            let blocking = try await redis.makeDedicatedConnection()
            let rest = try await blocking.streamReadGroup(
                stream,
                group: "g",
                consumer: "c1",
                count: 10,
                block: .milliseconds(100)
            )
            #expect(rest.map(\.id) == [ids[3], ids[4]])
            let nothing = try await blocking.streamReadGroup(
                stream,
                group: "g",
                consumer: "c1",
                count: 10,
                block: .milliseconds(100)
            )
            #expect(nothing.isEmpty)
            await blocking.close()

            #expect(try await redis.streamAcknowledge(stream, group: "g", ids: Array(ids.dropFirst())) == 4)
            #expect(try await redis.streamPendingCount(stream, group: "g") == 0)
            #expect(try await redis.streamLength(stream) == 5)
            try await redis.delete([stream])
        }
    }

    @Test("a command without a reply in time fails with a timeout")
    func commandTimeout() async throws {
        var settings = try TestInfrastructure.redisSettings
        settings.commandTimeout = .milliseconds(500)
        settings.connections = 1
        try await TestInfrastructure.withRedis(settings: settings) { redis in
            let key = TestInfrastructure.uniqueName("empty-list")
            await #expect(throws: RedisError.timeout) {
                try await redis.send(RedisCommand("BLPOP", [.string(key), "3"]))
            }
            try await redis.ping()
        }
    }

    @Test("an unreachable server is a typed connection failure")
    func unreachable() async throws {
        var settings = try TestInfrastructure.redisSettings
        settings.port = 1
        let redis = RedisClient(settings: settings, logger: TestInfrastructure.logger("redis"))
        await #expect {
            try await redis.ping()
        } throws: { error in
            guard case RedisError.connectionFailed = error else { return false }
            return true
        }
        await redis.shutdown()
    }
}

/// A command given to a connection that has closed must fail at once: a reply promise nobody completes leaves
/// its caller waiting forever, with no timer and no I/O left to wake it (how the test suites used to stall).
@Suite("Redis connection after close")
struct RedisClosedConnectionTests {
    @Test("a command on a closed connection fails at once with a typed error, never waits forever")
    func commandAfterClose() async throws {
        try await TestInfrastructure.withRedis { redis in
            let connection = try await redis.makeDedicatedConnection()
            #expect(try await connection.send(RedisCommand("PING")) == .simpleString("PONG"))
            await connection.close()
            for _ in 0..<3 {
                await #expect(throws: RedisError.self) {
                    try await withDeadline(.seconds(10), waitingFor: "a command sent on a closed connection") {
                        try await connection.send(RedisCommand("PING"), timeout: .seconds(600))
                    }
                }
            }
            let replies = try await withDeadline(.seconds(10), waitingFor: "a pipeline on a closed connection") {
                try await connection.pipeline([RedisCommand("PING"), RedisCommand("PING")], timeout: .seconds(600))
            }
            #expect(replies.allSatisfy { if case .failure = $0 { true } else { false } })
        }
    }
}
