import Contracts
import Foundation
import Logging
import NIOFoundationEssentialsCompat
import ServiceLifecycle

/// Applies `cache.invalidate` messages to this replica's caches. After a reconnection (messages may have been
/// missed) it empties their first tier entirely; TTLs bound staleness in every case.
package struct CacheInvalidationSubscriber: Service {
    private let redis: RedisClient
    private let caches: [any InvalidatableCache]
    private let logger: Logger

    package init(redis: RedisClient, caches: [any InvalidatableCache], logger: Logger) {
        self.redis = redis
        self.caches = caches
        self.logger = logger
    }

    package func run() async throws {
        try await redis.withSubscription(to: [CacheInvalidation.channel], logger: logger) { subscription in
            for await event in subscription.cancelOnGracefulShutdown() {
                switch event {
                case .message(_, let payload):
                    guard
                        let invalidation = try? ContractJSON.makeDecoder().decode(
                            CacheInvalidation.self,
                            from: Data(buffer: payload)
                        )
                    else {
                        logger.warning("ignoring a malformed cache invalidation")
                        continue
                    }
                    for cache in caches { await cache.apply(invalidation) }
                case .subscribed:
                    continue
                case .resubscribed:
                    for cache in caches { await cache.clearLocal() }
                }
            }
        }
    }
}
