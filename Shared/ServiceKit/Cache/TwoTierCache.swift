import Contracts
import Foundation
import Logging
import NIOCore
import NIOFoundationEssentialsCompat
import Prometheus

/// Something whose in-process entries a `cache.invalidate` message can drop.
package protocol InvalidatableCache: Sendable {
    /// The cache's name, as invalidation messages address it.
    var name: String { get }
    /// Applies an invalidation to this replica's first tier.
    func apply(_ invalidation: CacheInvalidation) async
    /// Drops this replica's whole first tier (after missed messages).
    func clearLocal() async
}

/// A message on `cache.invalidate`: which entries of which cache every replica must drop.
package struct CacheInvalidation: Codable, Sendable, Equatable {
    package var cache: String
    /// Tags whose every entry is dropped (an organization, a data set).
    package var tags: [String]

    package init(cache: String, tags: [String]) {
        self.cache = cache
        self.tags = tags
    }

    /// The pub/sub channel the messages travel on.
    package static let channel = "cache.invalidate"
}

/// A cache in two tiers in front of a slow load: L1 an in-process LRU with TTL (one per replica), L2 Redis
/// with TTL (shared). A miss in both loads once, however many callers miss at once (single flight).
///
/// Entries carry a tag (an organization, a data set); ``invalidate(tags:)`` drops a tag's entries in Redis
/// and, through `cache.invalidate`, in every replica's L1; a load under way when its tag is invalidated is
/// not kept. Redis trouble never fails a read: L2 is then skipped and the value loaded.
package final class TwoTierCache<Value: Codable & Sendable>: InvalidatableCache {
    package let name: String
    private let memory: MemoryCache<Value>
    private let redis: RedisClient
    private let logger: Logger
    /// `cache_requests` by tier and result, made once: a lookup is on every request's path.
    private let l1Counters: (hit: Counter, miss: Counter)
    private let l2Counters: (hit: Counter, miss: Counter)

    package init(name: String, capacity: Int, redis: RedisClient, metrics: ServiceMetrics, logger: Logger) {
        self.name = name
        self.memory = MemoryCache(capacity: capacity)
        self.redis = redis
        self.logger = logger
        let descriptor = MetricNameDescriptor(
            metricName: "cache_requests",
            unitName: "total",
            helpText: "Cache lookups by cache, tier and result."
        )
        func counter(_ tier: Tier, _ result: String) -> Counter {
            metrics.registry.makeCounter(
                descriptor: descriptor,
                labels: [("cache", name), ("tier", tier.rawValue), ("result", result)]
            )
        }
        self.l1Counters = (counter(.l1, "hit"), counter(.l1, "miss"))
        self.l2Counters = (counter(.l2, "hit"), counter(.l2, "miss"))
    }

    /// The value for `key` under `tag`, from L1, else L2, else `load` (stored in both for `ttl`).
    package func value(
        for key: String,
        tag: String,
        ttl: Duration,
        load: @Sendable () async throws -> Value
    ) async throws -> Value {
        try await value(for: key, tag: tag) { (try await load(), ttl) }
    }

    /// The value for `key` under `tag`, from L1, else L2, else `load`, which also says how long its value
    /// stays right (answers whose lifetime depends on their content).
    package func value(
        for key: String,
        tag: String,
        load: @Sendable () async throws -> (value: Value, ttl: Duration)
    ) async throws -> Value {
        let localKey = "\(tag)|\(key)"
        switch try await memory.claim(localKey, tag: tag) {
        case .hit(let value):
            count(.l1, hit: true)
            return value
        case .loadedByAnother(let value):
            count(.l1, hit: true)
            return value
        case .load(let generation):
            count(.l1, hit: false)
            do {
                let value: Value
                let shared = await sharedLookup(key, tag: tag)
                if let stored = shared?.stored {
                    count(.l2, hit: true)
                    value = stored.value
                    memory.store(localKey, value, ttl: stored.remaining, tag: tag, generation: generation)
                } else {
                    count(.l2, hit: false)
                    let loaded = try await load()
                    value = loaded.value
                    if let shared { await share(value, at: shared.key, generation: shared.generation, ttl: loaded.ttl) }
                    memory.store(localKey, value, ttl: loaded.ttl, tag: tag, generation: generation)
                }
                memory.finish(localKey, with: .success(value))
                return value
            } catch {
                memory.finish(localKey, with: .failure(error))
                throw error
            }
        }
    }

    /// Drops every entry of `tags` everywhere: Redis moves the tag to a new generation (older entries are
    /// no longer read and expire), and `cache.invalidate` tells every replica to drop its L1 entries.
    package func invalidate(tags: [String]) async {
        guard !tags.isEmpty else { return }
        let invalidation = CacheInvalidation(cache: name, tags: tags)
        await apply(invalidation)
        do {
            _ = try await redis.pipeline(tags.map { RedisCommand("INCR", [.string(generationKey($0))]) })
            let message = try ContractJSON.makeEncoder().encode(invalidation)
            try await redis.publish(.bytes(ByteBuffer(data: message)), to: CacheInvalidation.channel)
        } catch {
            // L2 entries then live out their TTL, and other replicas' L1 too: stale for at most one TTL.
            logger.warning(
                "cache invalidation could not reach Redis",
                metadata: ["cache": "\(name)", "error": "\(error)"]
            )
        }
    }

    package func apply(_ invalidation: CacheInvalidation) async {
        guard invalidation.cache == name else { return }
        for tag in invalidation.tags { memory.invalidate(tag: tag) }
    }

    package func clearLocal() async {
        memory.removeAll()
    }

    // MARK: - Redis tier

    /// A tag's keys share a hash slot (`{…}`), so they stay together in a cluster.
    private func generationKey(_ tag: String) -> String { "cache:\(name):{\(tag)}:generation" }

    /// The Redis key of `key`'s entry. An entry starts with the generation of its tag it was loaded in and a
    /// newline; it counts only while that is still the tag's generation.
    private func entryKey(_ key: String, tag: String) -> String { "cache:\(name):{\(tag)}:entry:\(key)" }

    /// In one round trip: the tag's generation, and the entry of `key` with the time it has left when it was
    /// stored in that generation. Nil when Redis cannot be reached (L2 is then skipped).
    private func sharedLookup(
        _ key: String,
        tag: String
    ) async -> (key: String, generation: String, stored: (value: Value, remaining: Duration)?)? {
        let entry = entryKey(key, tag: tag)
        let replies: [Result<RESPValue, RedisError>]
        do {
            replies = try await redis.pipeline([
                RedisCommand("GET", [.string(generationKey(tag))]), RedisCommand("GET", [.string(entry)]),
                RedisCommand("PTTL", [.string(entry)]),
            ])
        } catch {
            logger.debug("cache L2 skipped", metadata: ["cache": "\(name)", "error": "\(error)"])
            return nil
        }
        guard case .success(let generationReply) = replies[0] else { return nil }
        let generation = generationReply.string ?? "0"
        guard case .success(let reply) = replies[1], var bytes = reply.bytes,
            case .success(let ttl) = replies[2], let milliseconds = ttl.int, milliseconds > 0,
            let newline = bytes.readableBytesView.firstIndex(of: UInt8(ascii: "\n")),
            bytes.readString(length: newline - bytes.readerIndex) == generation
        else { return (entry, generation, nil) }
        bytes.moveReaderIndex(forwardBy: 1)
        do {
            let value = try ContractJSON.makeDecoder().decode(Value.self, from: Data(buffer: bytes))
            return (entry, generation, (value, .milliseconds(milliseconds)))
        } catch {
            logger.debug("cache L2 entry unreadable", metadata: ["cache": "\(name)", "error": "\(error)"])
            return (entry, generation, nil)
        }
    }

    /// Stores `value` at `key` as loaded in `generation`, for `ttl`.
    private func share(_ value: Value, at key: String, generation: String, ttl: Duration) async {
        do {
            var bytes = ByteBuffer(string: generation + "\n")
            bytes.writeBytes(try ContractJSON.makeEncoder().encode(value))
            try await redis.set(key, to: .bytes(bytes), expiresIn: ttl)
        } catch {
            logger.debug("cache L2 write skipped", metadata: ["cache": "\(name)", "error": "\(error)"])
        }
    }

    // MARK: - Metrics

    private enum Tier: String { case l1, l2 }

    private func count(_ tier: Tier, hit: Bool) {
        let counters = tier == .l1 ? l1Counters : l2Counters
        (hit ? counters.hit : counters.miss).increment()
    }
}
