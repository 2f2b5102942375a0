import Foundation
import NIOCore
import ServiceKit
import Synchronization
import TestSupport
import Testing

/// A redis-server of the test's own, on a free port, so it can be stopped and started without disturbing
/// the Redis other tests share.
final class PrivateRedisServer: Sendable {
    let port: Int
    private let directory: URL
    /// The running server's process id (0: none).
    private let pid = Mutex<pid_t>(0)

    init() throws {
        port = Self.freePort()
        directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            TestInfrastructure.uniqueName("redis")
        )
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    /// A port nothing listens on now, below the kernel's ephemeral range. A test connects to its server's port
    /// while the server is down; were that port in the ephemeral range, a connect could be given it as its own
    /// local port and connect to itself (TCP simultaneous open), holding the port so that the server could not
    /// bind it again ("did not start"). Outside the range no outgoing connection ever takes it.
    static func freePort() -> Int {
        let lowestEphemeral =
            (try? String(contentsOfFile: "/proc/sys/net/ipv4/ip_local_port_range", encoding: .utf8))
            .flatMap { $0.split(whereSeparator: \.isWhitespace).first.flatMap { Int($0) } } ?? 32_768
        let candidates = 10_000..<max(10_001, lowestEphemeral)
        for _ in 0..<100 {
            let port = Int.random(in: candidates)
            if bindable(port) { return port }
        }
        return Int.random(in: candidates)
    }

    /// Whether a socket can bind `port` on 127.0.0.1 now.
    private static func bindable(_ port: Int) -> Bool {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        return withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                bind(descriptor, socketAddress, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }

    var settings: RedisSettings {
        RedisSettings(port: port, connections: 2, connectTimeout: .seconds(2), commandTimeout: .seconds(2))
    }

    /// Spawns redis-server with `posix_spawnp` rather than Foundation's `Process`. On Linux `Process` watches
    /// each child from a run-loop thread of its own (a blocking `waitpid` there) and adds a run-loop source to
    /// the calling thread, here a Swift concurrency worker; while a test used it, the whole test process
    /// stalled now and then (see the closing note of the session that changed this).
    func start() async throws {
        let arguments = [
            "redis-server", "--port", "\(port)", "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
            "--dir", directory.path,
        ]
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        var argv = arguments.map { strdup($0) }
        argv.append(nil)
        defer { for argument in argv { free(argument) } }
        var spawned: pid_t = 0
        let status = posix_spawnp(&spawned, "redis-server", &actions, nil, argv, environ)
        guard status == 0 else {
            throw RedisError.connectionFailed("cannot start redis-server: \(String(cString: strerror(status)))")
        }
        pid.withLock { $0 = spawned }
        for _ in 0..<300 {
            if (try? await probe()) == true { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw RedisError.connectionFailed("private redis-server on port \(port) did not start")
    }

    /// Kills the server as a crash would (SIGKILL: the test process may run with SIGTERM ignored, which
    /// children inherit) and waits until it is gone.
    func stop() async {
        let stopped = pid.withLock { current -> pid_t in
            defer { current = 0 }
            return current
        }
        guard stopped > 0 else { return }
        kill(stopped, SIGKILL)
        var status: Int32 = 0
        while waitpid(stopped, &status, WNOHANG) == 0 { try? await Task.sleep(for: .milliseconds(10)) }
    }

    private func probe() async throws -> Bool {
        let client = RedisClient(settings: settings, logger: TestInfrastructure.logger("probe"))
        do {
            try await client.ping()
            await client.shutdown()
            return true
        } catch {
            await client.shutdown()
            throw error
        }
    }

    deinit {
        let running = pid.withLock { $0 }
        if running > 0 {
            kill(running, SIGKILL)
            var status: Int32 = 0
            waitpid(running, &status, 0)
        }
        try? FileManager.default.removeItem(at: directory)
    }
}

@Suite("Redis client across a server restart", .serialized)
struct RedisRestartTests {
    @Test("commands fail with a typed error while Redis is down and work again once it is back")
    func recoversAfterRestart() async throws {
        let server = try PrivateRedisServer()
        try await server.start()
        let redis = RedisClient(settings: server.settings, logger: TestInfrastructure.logger("redis"))
        try await redis.set("k", to: "before")
        #expect(try await redis.getString("k") == "before")

        await server.stop()
        await #expect {
            try await redis.getString("k")
        } throws: { error in
            (error as? RedisError)?.isTransportFailure == true
        }

        try await server.start()
        var recovered = false
        for _ in 0..<100 where !recovered {
            do {
                try await redis.set("k", to: "after")
                recovered = true
            } catch {
                try await Task.sleep(for: .milliseconds(50))
            }
        }
        #expect(recovered)
        #expect(try await redis.getString("k") == "after")
        await redis.shutdown()
        await server.stop()
    }

    @Test("a subscription comes back after a restart and says it may have missed messages")
    func subscriptionResubscribes() async throws {
        let server = try PrivateRedisServer()
        try await server.start()
        let redis = RedisClient(settings: server.settings, logger: TestInfrastructure.logger("redis"))
        let events = try await redis.withSubscription(to: ["news"], logger: TestInfrastructure.logger("sub")) {
            subscription in
            try await withDeadline(.seconds(60), waitingFor: "the messages published before and after the restart") {
                try await withThrowingTaskGroup(of: [RedisPubSubEvent].self) { group in
                    group.addTask {
                        var events: [RedisPubSubEvent] = []
                        for await event in subscription {
                            events.append(event)
                            if case .message(_, let payload) = event, String(buffer: payload) == "after" { break }
                        }
                        return events
                    }
                    group.addTask {
                        while try await redis.publish("before", to: "news") == 0 {
                            try await Task.sleep(for: .milliseconds(20))
                        }
                        await server.stop()
                        try await server.start()
                        while (try? await redis.publish("after", to: "news")) != 1 {
                            try await Task.sleep(for: .milliseconds(50))
                        }
                        return []
                    }
                    var collected: [RedisPubSubEvent] = []
                    for try await events in group where !events.isEmpty { collected = events }
                    return collected
                }
            }
        }
        #expect(events.first == .subscribed)
        #expect(events.dropFirst().first == .message(channel: "news", payload: ByteBuffer(string: "before")))
        #expect(events.contains(.resubscribed))
        #expect(events.last == .message(channel: "news", payload: ByteBuffer(string: "after")))
        await redis.shutdown()
        await server.stop()
    }
}
