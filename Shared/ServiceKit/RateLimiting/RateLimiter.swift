import Logging
import Prometheus
import Synchronization

/// Global rate limiting with GCRA (generic cell rate algorithm): one Lua script, run atomically in Redis
/// with Redis' own clock, so the limit holds across any number of replicas whatever their clocks say.
///
/// Decisions asked for while a script call is under way wait for it to end and then go to Redis together, in
/// one call of the same script over all their keys (``DecisionBatcher``): under load a replica makes one
/// round trip per batch rather than per request, and a lone request still goes at once. Every request is
/// allowed only on a cell Redis granted, so no replica ever allows more than the limit. (The keys of a batch
/// may lie in different hash slots: this needs one Redis server, not a cluster.)
///
/// A caller with many requests waiting in one batch, under a policy of at least 100 requests, also asks for
/// up to four times as many cells again (at most 1% of the quota), which the replica hands out without a round
/// trip for the next half second (``RateLimitLeases``). Cells left over when that ends are lost to the caller, so a busy caller
/// may be refused at most 1% of its quota early; policies under 100 requests are never leased and stay exact.
///
/// When Redis cannot be reached the limiter falls back to the same algorithm in process (per replica, so
/// never unlimited), logs once, and goes back to Redis after a short pause; a failure of the limiter never
/// fails a request.
package final class RateLimiter: Sendable {
    private let batcher: DecisionBatcher
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

    /// KEYS: the callers' keys. ARGV: for each key in turn, its emission interval and burst tolerance (both
    /// microseconds) and how many cells (requests) it asks for. Each key gets as many of them as its quota has
    /// now, in one step. Returns, for each key in turn: cells granted, requests remaining after them, when one
    /// more cell is available (zero if one is) and when the quota is whole again (both microseconds). A key
    /// named twice is served twice, in order.
    package static let script = RedisScript(
        """
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
        local out = {}
        for i, key in ipairs(KEYS) do
            local interval = tonumber(ARGV[3 * i - 2])
            local tolerance = tonumber(ARGV[3 * i - 1])
            local wanted = tonumber(ARGV[3 * i])
            local tat = tonumber(redis.call('GET', key) or now)
            if tat < now then tat = now end
            local granted = math.floor((now + tolerance - tat) / interval)
            if granted > wanted then granted = wanted end
            if granted < 0 then granted = 0 end
            if granted > 0 then
                tat = tat + granted * interval
                redis.call('SET', key, tat, 'PX', math.ceil((tat - now) / 1000) + 1)
            end
            local next_at = tat + interval - tolerance
            local n = #out
            out[n + 1] = granted
            out[n + 2] = math.max(0, math.floor((now + tolerance - tat) / interval))
            out[n + 3] = math.max(0, next_at - now)
            out[n + 4] = tat - now
        end
        return out
        """
    )

    package init(redis: RedisClient, shadow: Bool, metrics: ServiceMetrics, logger: Logger) {
        self.batcher = DecisionBatcher(redis: redis)
        self.redis = redis
        self.shadow = shadow
        self.logger = logger
        self.registry = metrics.registry
    }

    /// Takes one request from `caller`'s quota under `policy`.
    package func acquire(_ policy: RateLimitPolicy, caller: String) async -> RateLimitDecision {
        let key = Self.key(policy, caller: caller)
        let interval = policy.emissionInterval
        let tolerance = interval * policy.limit
        var mode = "redis"
        var decision: RateLimitDecision
        if let until = fallbackUntil.withLock({ $0 }), ContinuousClock.now < until {
            mode = "fallback"
            decision = await local.acquire(key: key, interval: interval, tolerance: tolerance)
        } else if let leased = batcher.leases.take(key) {
            mode = "lease"
            decision = leased
        } else {
            do {
                decision = try await batcher.decide(
                    DecisionBatcher.Ask(
                        key: key,
                        interval: Int(interval.microseconds),
                        tolerance: Int(tolerance.microseconds),
                        leasable: policy.leasableCells
                    )
                )
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

    /// Gives one request back to `caller`'s quota under `policy`, never filling it beyond whole. For limits on
    /// failures: each attempt takes a request before it is checked, so concurrent attempts can never exceed the
    /// limit, and an attempt that succeeds gives its request back. A failure to reach Redis is logged and
    /// ignored: the caller merely keeps one request less.
    package func release(_ policy: RateLimitPolicy, caller: String) async {
        let key = Self.key(policy, caller: caller)
        let interval = policy.emissionInterval
        if let until = fallbackUntil.withLock({ $0 }), ContinuousClock.now < until {
            await local.release(key: key, interval: interval)
            return
        }
        do {
            _ = try await redis.evaluate(
                Self.releaseScript,
                keys: [key],
                arguments: [.int(Int(interval.microseconds))]
            )
        } catch {
            logger.warning(
                "rate limiter could not give a request back: Redis unavailable",
                metadata: ["rate_limit.policy": "\(policy.name)", "error": "\(error)"]
            )
        }
    }

    /// The Redis key of `caller`'s quota under `policy` (one hash slot per key).
    static func key(_ policy: RateLimitPolicy, caller: String) -> String {
        "rl:{\(policy.name):\(caller)}"
    }

    /// KEYS: one caller's key. ARGV: its emission interval (microseconds). Moves the key's theoretical arrival
    /// time back by one interval, deleting the key when that leaves the quota whole.
    static let releaseScript = RedisScript(
        """
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
        local tat = tonumber(redis.call('GET', KEYS[1]) or now) - tonumber(ARGV[1])
        if tat > now then
            redis.call('SET', KEYS[1], tat, 'PX', math.ceil((tat - now) / 1000) + 1)
        else
            redis.call('DEL', KEYS[1])
        end
        return 1
        """
    )

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

extension Duration {
    /// The whole microseconds in this duration.
    var microseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000 + attoseconds / 1_000_000_000_000
    }
}
