import ArgumentParser
import AsyncHTTPClient
import Foundation
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1
import ServiceKit
import ServiceLifecycle

/// Measures what the rate limiter adds to a request: one in-process server with the same route twice, once
/// behind `RateLimitMiddleware` (one EVALSHA round trip to Redis) and once without, requested alternately in
/// the same run, so both see the same machine load.
@main
struct RateLimitBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ratelimit-bench",
        abstract: "Latency the rate limiter adds per request."
    )

    @Option(help: "Redis host.") var redisHost = "127.0.0.1"
    @Option(help: "Redis port.") var redisPort = 56379
    @Option(help: "Requests per route.") var requests = 5000

    func run() async throws {
        var logger = Logger(label: "ratelimit-bench")
        logger.logLevel = .warning
        let redis = RedisClient(settings: RedisSettings(host: redisHost, port: redisPort), logger: logger)
        let limiter = RateLimiter(redis: redis, shadow: false, metrics: ServiceMetrics(), logger: logger)
        let generous = RateLimitPolicy(name: "bench", limit: 1_000_000_000, period: .seconds(60))

        let router = Router(context: ServiceRequestContext.self)
        router.get("/plain") { _, _ in "ok" }
        router.add(middleware: RateLimitMiddleware(limiter: limiter, rules: RateLimitRules(default: generous)))
        router.get("/limited") { _, _ in "ok" }
        let (port, portSink) = AsyncStream.makeStream(of: Int.self)
        let app = Application(
            router: router,
            configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in portSink.yield(channel.localAddress?.port ?? 0) },
            logger: logger
        )
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        let server = ServiceGroup(configuration: .init(services: [app], gracefulShutdownSignals: [], logger: logger))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await server.run() }
            var ports = port.makeAsyncIterator()
            guard let bound = await ports.next() else { throw ValidationError("the server did not start") }
            let base = "http://127.0.0.1:\(bound)"
            var plain: [Double] = []
            var limited: [Double] = []
            for index in 0..<(requests * 2 + 400) {
                let path = index % 2 == 0 ? "/plain" : "/limited"
                let start = ContinuousClock.now
                let response = try await client.execute(HTTPClientRequest(url: base + path), timeout: .seconds(10))
                _ = try await response.body.collect(upTo: 1024)
                let elapsed = ContinuousClock.now - start
                guard index >= 400 else { continue }
                let milliseconds =
                    Double(elapsed.components.attoseconds) / 1e15 + Double(elapsed.components.seconds) * 1000
                if index % 2 == 0 { plain.append(milliseconds) } else { limited.append(milliseconds) }
            }
            let p50 = percentile(limited, 0.5) - percentile(plain, 0.5)
            let p99 = percentile(limited, 0.99) - percentile(plain, 0.99)
            print(
                String(
                    format:
                        "without limiter p50_ms=%.3f p99_ms=%.3f | with limiter p50_ms=%.3f p99_ms=%.3f | added p50_ms=%.3f p99_ms=%.3f",
                    percentile(plain, 0.5),
                    percentile(plain, 0.99),
                    percentile(limited, 0.5),
                    percentile(limited, 0.99),
                    p50,
                    p99
                )
            )
            await server.triggerGracefulShutdown()
            try await group.waitForAll()
        }
        try await client.shutdown()
        await redis.shutdown()
    }

    private func percentile(_ samples: [Double], _ p: Double) -> Double {
        let sorted = samples.sorted()
        return sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]
    }
}
