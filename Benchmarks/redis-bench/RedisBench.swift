import ArgumentParser
import Foundation
import Logging
import ServiceKit
import Synchronization

/// Measures the ServiceKit Redis client: GET throughput and latency at each concurrency level, printed one
/// line per level so `compose/local/bench` can set them beside `redis-benchmark` on the same server.
@main
struct RedisBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "redis-bench",
        abstract: "GET throughput of the ServiceKit Redis client at several concurrency levels."
    )

    @Option(help: "Redis host.") var host = "127.0.0.1"
    @Option(help: "Redis port.") var port = 56379
    @Option(help: "GET requests per concurrency level.") var requests = 200_000
    @Option(help: "Concurrency levels, comma-separated.") var concurrency = "1,100"
    @Option(help: "Pooled connections the client multiplexes over.") var connections = 2
    @Option(help: "Value size in bytes (redis-benchmark's -d).") var valueSize = 3

    func run() async throws {
        var logger = Logger(label: "redis-bench")
        logger.logLevel = .warning
        let settings = RedisSettings(host: host, port: port, connections: connections, commandTimeout: .seconds(10))
        let redis = RedisClient(settings: settings, logger: logger)
        let key = "bench:key"
        try await redis.set(key, to: .string(String(repeating: "x", count: valueSize)))
        for level in concurrency.split(separator: ",").compactMap({ Int($0) }) {
            // Warm-up: open every connection and fault in the code paths.
            try await measure(redis, key: key, requests: min(requests / 10, 10_000), concurrency: level)
            let result = try await measure(redis, key: key, requests: requests, concurrency: level)
            print(result.line(clients: level))
        }
        await redis.shutdown()
    }

    struct Result {
        var requests: Int
        var elapsed: Duration
        var latencies: [Duration]

        func line(clients: Int) -> String {
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            let sorted = latencies.sorted()
            func percentile(_ p: Double) -> String {
                let value = sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]
                return String(
                    format: "%.3f",
                    Double(value.components.attoseconds) / 1e15 + Double(value.components.seconds) * 1000
                )
            }
            return "swift-client GET clients=\(clients) requests_per_second=\(Int(Double(requests) / seconds)) "
                + "p50_ms=\(percentile(0.5)) p99_ms=\(percentile(0.99))"
        }
    }

    @discardableResult
    func measure(_ redis: RedisClient, key: String, requests: Int, concurrency: Int) async throws -> Result {
        let remaining = RequestBudget(requests)
        let clock = ContinuousClock()
        let start = clock.now
        let latencies = try await withThrowingTaskGroup(of: [Duration].self) { group in
            for _ in 0..<concurrency {
                group.addTask {
                    var samples: [Duration] = []
                    samples.reserveCapacity(requests / concurrency + 1)
                    while remaining.take() {
                        let sent = clock.now
                        _ = try await redis.get(key)
                        samples.append(clock.now - sent)
                    }
                    return samples
                }
            }
            var all: [Duration] = []
            for try await samples in group { all += samples }
            return all
        }
        return Result(requests: requests, elapsed: clock.now - start, latencies: latencies)
    }
}

/// The requests left to send, shared by every caller of one measurement.
final class RequestBudget: Sendable {
    private let remaining: Atomic<Int>

    init(_ requests: Int) { remaining = Atomic(requests) }

    /// Takes one request from the budget; false once it is spent.
    func take() -> Bool { remaining.subtract(1, ordering: .relaxed).newValue >= 0 }
}
