import Logging
import Prometheus
import Synchronization

/// The outcome of asking for one request under a policy.
package struct RateLimitDecision: Sendable, Equatable {
    /// Whether the request may proceed.
    package var allowed: Bool
    /// Requests left right now.
    package var remaining: Int
    /// When the caller may try again (zero when allowed).
    package var retryAfter: Duration
    /// When the caller's quota is whole again.
    package var resetAfter: Duration
}

/// Global rate limiting with GCRA (generic cell rate algorithm): one Lua script, run atomically in Redis
/// with Redis' own clock, so the limit holds across any number of replicas whatever their clocks say.
///
/// When Redis cannot be reached the limiter falls back to the same algorithm in process (per replica, so
/// never unlimited), logs once, and goes back to Redis after a short pause; a failure of the limiter never
/// fails a request.
package final class RateLimiter: Sendable {
    private let redis: RedisClient
    private let local = LocalRateLimiter()
    private let fallbackUntil = Mutex<ContinuousClock.Instant?>(nil)
    private let logger: Logger
    private let registry: PrometheusCollectorRegistry
    /// `rate_limit_decisions` by policy, outcome and mode, each made on first use: this is on every request.
    private let counters = Mutex<[CounterKey: Counter]>([:])

    private struct CounterKey: Hashable {
        var policy: String
        var outcome: String
        var mode: String
    }
    /// Counts and reports, but never rejects (`RATE_LIMIT_SHADOW`).
    package let shadow: Bool
    private static let retryRedisAfter: Duration = .seconds(2)

    /// KEYS[1]: the caller's key. ARGV[1]: emission interval, ARGV[2]: burst tolerance (both microseconds).
    /// Returns {allowed, remaining, retry_after_us, reset_after_us}.
    static let script = RedisScript(
        """
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
        local interval = tonumber(ARGV[1])
        local tolerance = tonumber(ARGV[2])
        local tat = tonumber(redis.call('GET', KEYS[1]) or now)
        if tat < now then tat = now end
        local new_tat = tat + interval
        local allow_at = new_tat - tolerance
        if now < allow_at then
            return {0, 0, allow_at - now, tat - now}
        end
        redis.call('SET', KEYS[1], new_tat, 'PX', math.ceil((new_tat - now) / 1000) + 1)
        return {1, math.floor((tolerance - (new_tat - now)) / interval), 0, new_tat - now}
        """
    )

    package init(redis: RedisClient, shadow: Bool, metrics: ServiceMetrics, logger: Logger) {
        self.redis = redis
        self.shadow = shadow
        self.logger = logger
        self.registry = metrics.registry
    }

    /// Takes one request from `caller`'s quota under `policy`.
    package func acquire(_ policy: RateLimitPolicy, caller: String) async -> RateLimitDecision {
        let key = "rl:{\(policy.name):\(caller)}"
        let interval = policy.emissionInterval
        let tolerance = interval * policy.limit
        var mode = "redis"
        var decision: RateLimitDecision
        if let until = fallbackUntil.withLock({ $0 }), ContinuousClock.now < until {
            mode = "fallback"
            decision = await local.acquire(key: key, interval: interval, tolerance: tolerance)
        } else {
            do {
                let reply = try await redis.evaluate(
                    Self.script,
                    keys: [key],
                    arguments: [.int(Int(interval.microseconds)), .int(Int(tolerance.microseconds))]
                )
                decision = try Self.decision(from: reply)
                recoverIfNeeded()
            } catch {
                mode = "fallback"
                enterFallback(error)
                decision = await local.acquire(key: key, interval: interval, tolerance: tolerance)
            }
        }
        let outcome = decision.allowed ? "allowed" : (shadow ? "shadow_limited" : "limited")
        counter(CounterKey(policy: policy.name, outcome: outcome, mode: mode)).increment()
        if shadow && !decision.allowed { decision.allowed = true }
        return decision
    }

    private func counter(_ key: CounterKey) -> Counter {
        if let known = counters.withLock({ $0[key] }) { return known }
        let made = registry.makeCounter(
            descriptor: .init(
                metricName: "rate_limit_decisions",
                unitName: "total",
                helpText: "Rate limit decisions by policy, outcome and mode."
            ),
            labels: [("policy", key.policy), ("decision", key.outcome), ("mode", key.mode)]
        )
        counters.withLock { $0[key] = made }
        return made
    }

    private static func decision(from reply: RESPValue) throws -> RateLimitDecision {
        guard let values = reply.array?.compactMap(\.int), values.count == 4 else {
            throw RedisError.unexpectedReply("rate limit script: \(reply)")
        }
        return RateLimitDecision(
            allowed: values[0] == 1,
            remaining: max(0, values[1]),
            retryAfter: .microseconds(values[2]),
            resetAfter: .microseconds(values[3])
        )
    }

    private func enterFallback(_ error: any Error) {
        let entered = fallbackUntil.withLock { until -> Bool in
            defer { until = .now + Self.retryRedisAfter }
            return until == nil
        }
        if entered {
            logger.warning(
                "rate limiter falls back to in-process limits: Redis unavailable",
                metadata: ["error": "\(error)"]
            )
        }
    }

    private func recoverIfNeeded() {
        let recovered = fallbackUntil.withLock { until -> Bool in
            defer { until = nil }
            return until != nil
        }
        if recovered { logger.info("rate limiter back on Redis") }
    }
}

/// The same GCRA in process, for when Redis is unreachable: per replica, bounded in size.
actor LocalRateLimiter {
    private var arrivals: [String: ContinuousClock.Instant] = [:]
    private let capacity = 100_000

    func acquire(key: String, interval: Duration, tolerance: Duration) -> RateLimitDecision {
        let now = ContinuousClock.now
        if arrivals.count >= capacity { arrivals = arrivals.filter { $0.value > now } }
        let tat = max(arrivals[key] ?? now, now)
        let newTAT = tat + interval
        let allowAt = newTAT - tolerance
        if now < allowAt {
            return RateLimitDecision(allowed: false, remaining: 0, retryAfter: allowAt - now, resetAfter: tat - now)
        }
        arrivals[key] = newTAT
        let remaining = Int(((tolerance - (newTAT - now)) / interval).rounded(.down))
        return RateLimitDecision(
            allowed: true,
            remaining: max(0, remaining),
            retryAfter: .zero,
            resetAfter: newTAT - now
        )
    }
}

extension Duration {
    /// The whole microseconds in this duration.
    var microseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000 + attoseconds / 1_000_000_000_000
    }
}
