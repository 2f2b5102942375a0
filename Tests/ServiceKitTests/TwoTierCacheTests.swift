import Foundation
import NIOCore
import ServiceKit
import ServiceLifecycle
import Synchronization
import TestSupport
import Testing

/// Counts how often a cache had to load.
final class LoadCounter: Sendable {
    private let count = Atomic<Int>(0)
    func increment() { count.add(1, ordering: .relaxed) }
    var value: Int { count.load(ordering: .relaxed) }
}

@Suite("Two-tier cache (real Redis)")
struct TwoTierCacheTests {
    static func cache(_ name: String, _ redis: RedisClient, capacity: Int = 100) -> TwoTierCache<[String]> {
        TwoTierCache(
            name: name,
            capacity: capacity,
            redis: redis,
            metrics: ServiceMetrics(),
            logger: TestInfrastructure.logger("cache")
        )
    }

    @Test("a miss loads once; then L1 answers; another replica finds it in L2")
    func tiers() async throws {
        try await TestInfrastructure.withRedis { (redis) async throws in
            let name = TestInfrastructure.uniqueName("cache")
            let loads = LoadCounter()
            let first = Self.cache(name, redis)
            let load: @Sendable () async throws -> [String] = {
                loads.increment()
                return ["value"]
            }
            #expect(try await first.value(for: "k", tag: "t", ttl: .seconds(60), load: load) == ["value"])
            #expect(try await first.value(for: "k", tag: "t", ttl: .seconds(60), load: load) == ["value"])
            let second = Self.cache(name, redis)
            #expect(try await second.value(for: "k", tag: "t", ttl: .seconds(60), load: load) == ["value"])
            #expect(loads.value == 1, "the second replica's L1 missed, its L2 hit")
        }
    }

    @Test("a rendered answer travels through Redis byte for byte and answers as JSON")
    func renderedAnswers() async throws {
        try await TestInfrastructure.withRedis { (redis) async throws in
            let name = TestInfrastructure.uniqueName("rendered")
            let rendered = try RenderedJSON(encoding: ["сумма": "12.50", "note": "a \"quoted\" word"])
            let make: @Sendable () -> TwoTierCache<RenderedJSON> = {
                TwoTierCache(
                    name: name,
                    capacity: 10,
                    redis: redis,
                    metrics: ServiceMetrics(),
                    logger: TestInfrastructure.logger("cache")
                )
            }
            _ = try await make().value(for: "k", tag: "t", ttl: .seconds(60)) { rendered }
            let fromRedis = try await make().value(for: "k", tag: "t", ttl: .seconds(60)) {
                Issue.record("the second replica should find the answer in Redis")
                return rendered
            }
            #expect(fromRedis == rendered)
            #expect(String(buffer: fromRedis.body) == String(buffer: rendered.body))
            #expect(
                try JSONDecoder().decode([String: String].self, from: Data(String(buffer: fromRedis.body).utf8))
                    == ["сумма": "12.50", "note": "a \"quoted\" word"]
            )
        }
    }

    @Test("entries expire after their TTL in both tiers")
    func expiry() async throws {
        try await TestInfrastructure.withRedis { (redis) async throws in
            let cache = Self.cache(TestInfrastructure.uniqueName("cache"), redis)
            let loads = LoadCounter()
            let load: @Sendable () async throws -> [String] = {
                loads.increment()
                return ["v\(loads.value)"]
            }
            _ = try await cache.value(for: "k", tag: "t", ttl: .milliseconds(200), load: load)
            try await Task.sleep(for: .milliseconds(400))
            #expect(try await cache.value(for: "k", tag: "t", ttl: .milliseconds(200), load: load) == ["v2"])
            #expect(loads.value == 2)
        }
    }

    @Test("100 concurrent misses of one key cause one load")
    func singleFlight() async throws {
        try await TestInfrastructure.withRedis { (redis) async throws in
            let cache = Self.cache(TestInfrastructure.uniqueName("cache"), redis)
            let loads = LoadCounter()
            let values = try await withThrowingTaskGroup(of: [String].self) { group in
                for _ in 0..<100 {
                    group.addTask {
                        try await cache.value(for: "hot", tag: "t", ttl: .seconds(60)) {
                            loads.increment()
                            try await Task.sleep(for: .milliseconds(200))
                            return ["computed"]
                        }
                    }
                }
                var values: [[String]] = []
                for try await value in group { values.append(value) }
                return values
            }
            #expect(values.count == 100)
            #expect(values.allSatisfy { $0 == ["computed"] })
            #expect(loads.value == 1)
        }
    }

    @Test("a failed load reaches every waiting caller and is not cached")
    func failedLoad() async throws {
        struct Boom: Error {}
        try await TestInfrastructure.withRedis { (redis) async throws in
            let cache = Self.cache(TestInfrastructure.uniqueName("cache"), redis)
            await #expect(throws: Boom.self) {
                try await cache.value(for: "k", tag: "t", ttl: .seconds(60)) { throw Boom() }
            }
            #expect(try await cache.value(for: "k", tag: "t", ttl: .seconds(60)) { ["ok"] } == ["ok"])
        }
    }

    @Test("invalidating a tag on one replica reaches the other replica's L1 and the shared L2")
    func invalidationAcrossReplicas() async throws {
        try await TestInfrastructure.withRedis { (redis) async throws in
            let name = TestInfrastructure.uniqueName("cache")
            let first = Self.cache(name, redis)
            let second = Self.cache(name, redis)
            let version = LoadCounter()
            let load: @Sendable () async throws -> [String] = {
                version.increment()
                return ["v\(version.value)"]
            }
            let subscriber = CacheInvalidationSubscriber(
                redis: redis,
                caches: [second],
                logger: TestInfrastructure.logger("sub")
            )
            try await withRunningServices([subscriber]) {
                #expect(try await first.value(for: "stats", tag: "org-1", ttl: .seconds(60), load: load) == ["v1"])
                #expect(try await second.value(for: "stats", tag: "org-1", ttl: .seconds(60), load: load) == ["v1"])
                #expect(try await second.value(for: "other", tag: "org-2", ttl: .seconds(60), load: load) == ["v2"])
                // The subscription may not be in place yet when the first notice goes out: notices repeat until
                // one arrives. The benchmark times the delay.
                try await eventually("the other replica drops org-1") {
                    await first.invalidate(tags: ["org-1"])
                    return try await second.value(for: "stats", tag: "org-1", ttl: .seconds(60), load: load) != ["v1"]
                }
                #expect(
                    try await second.value(for: "other", tag: "org-2", ttl: .seconds(60), load: load) == ["v2"],
                    "other tags stay"
                )
            }
        }
    }

    @Test("the in-process tier keeps the most recently used entries within its capacity")
    func leastRecentlyUsedEviction() async throws {
        // No Redis behind it: every load the test sees is an L1 miss.
        var settings = try TestInfrastructure.redisSettings
        settings.port = 1
        let redis = RedisClient(settings: settings, logger: TestInfrastructure.logger("redis"))
        do {
            let cache = Self.cache(TestInfrastructure.uniqueName("cache"), redis, capacity: 2)
            let loads = LoadCounter()
            func get(_ key: String) async throws -> [String] {
                try await cache.value(for: key, tag: "t", ttl: .seconds(60)) {
                    loads.increment()
                    return [key]
                }
            }
            _ = try await get("a")
            _ = try await get("b")
            _ = try await get("a")
            _ = try await get("c")
            #expect(loads.value == 3)
            _ = try await get("a")
            #expect(loads.value == 3, "a was used recently and stayed")
            _ = try await get("b")
            #expect(loads.value == 4, "b was the least recently used and was evicted")
        }
        await redis.shutdown()
    }
}
