import Foundation

/// A lease in Redis that at most one replica holds at a time (`SET key owner NX PX ttl`), for jobs that must
/// run once across replicas: the rates scheduler, retention. Renewal and release only succeed for the holder.
package struct RedisLease: Sendable {
    private let redis: RedisClient
    package let key: String
    package let owner: String
    package let ttl: Duration

    private static let renew = RedisScript(
        """
        if redis.call('GET', KEYS[1]) == ARGV[1] then
            return redis.call('PEXPIRE', KEYS[1], ARGV[2])
        end
        return 0
        """
    )
    private static let release = RedisScript(
        """
        if redis.call('GET', KEYS[1]) == ARGV[1] then
            return redis.call('DEL', KEYS[1])
        end
        return 0
        """
    )

    package init(redis: RedisClient, name: String, owner: String, ttl: Duration) {
        self.redis = redis
        self.key = "lease:\(name)"
        self.owner = owner
        self.ttl = ttl
    }

    /// Takes the lease if nobody holds it, or extends it if this owner already does.
    package func acquire() async throws -> Bool {
        if try await redis.set(key, to: .string(owner), expiresIn: ttl, onlyIfAbsent: true) { return true }
        return try await redis.evaluate(
            Self.renew,
            keys: [key],
            arguments: [.string(owner), .int(Int(ttl.milliseconds))]
        ).int == 1
    }

    /// Gives the lease up if this owner holds it.
    package func release() async throws {
        _ = try await redis.evaluate(Self.release, keys: [key], arguments: [.string(owner)])
    }
}
