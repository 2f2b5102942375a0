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
/// Decisions asked for while a script call is under way wait for it to end and then go to Redis together, in
/// one call of the same script over all their keys (``DecisionBatcher``): under load a replica makes one
/// round trip per batch rather than per request, and a lone request still goes at once. Every decision is
/// still Redis' own, so the limit is exact across replicas. (The keys of a batch may lie in different hash
/// slots: this needs one Redis server, not a cluster.)
///
/// When Redis cannot be reached the limiter falls back to the same algorithm in process (per replica, so
/// never unlimited), logs once, and goes back to Redis after a short pause; a failure of the limiter never
/// fails a request.
package final class RateLimiter: Sendable {
    private let batcher: DecisionBatcher
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
    /// microseconds). Returns, for each key in turn, allowed, remaining, retry_after_us, reset_after_us. A key
    /// named twice takes two requests, in order.
    static let script = RedisScript(
        """
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
        local out = {}
        for i, key in ipairs(KEYS) do
            local interval = tonumber(ARGV[2 * i - 1])
            local tolerance = tonumber(ARGV[2 * i])
            local tat = tonumber(redis.call('GET', key) or now)
            if tat < now then tat = now end
            local new_tat = tat + interval
            local allow_at = new_tat - tolerance
            local n = #out
            if now < allow_at then
                out[n + 1] = 0
                out[n + 2] = 0
                out[n + 3] = allow_at - now
                out[n + 4] = tat - now
            else
                redis.call('SET', key, new_tat, 'PX', math.ceil((new_tat - now) / 1000) + 1)
                out[n + 1] = 1
                out[n + 2] = math.floor((tolerance - (new_tat - now)) / interval)
                out[n + 3] = 0
                out[n + 4] = new_tat - now
            end
        end
        return out
        """
    )

    package init(redis: RedisClient, shadow: Bool, metrics: ServiceMetrics, logger: Logger) {
        self.batcher = DecisionBatcher(redis: redis)
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
                decision = try await batcher.decide(
                    DecisionBatcher.Ask(
                        key: key,
                        interval: Int(interval.microseconds),
                        tolerance: Int(tolerance.microseconds)
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

/// Runs the limiter's script for many callers at once. A caller who finds no call under way makes one for
/// itself alone; callers who arrive while one is under way queue, and when it ends the whole queue (up to
/// ``maximumBatch``) goes in the next call, made by a task that keeps calling while callers keep queueing.
final class DecisionBatcher: Sendable {
    /// One caller's request: its key and GCRA parameters in microseconds.
    struct Ask: Sendable {
        var key: String
        var interval: Int
        var tolerance: Int
    }

    private typealias Waiter = UnsafeContinuation<Result<RateLimitDecision, any Error>?, Never>

    private struct State {
        var calling = false
        var queue: [(ask: Ask, waiter: Waiter)] = []
    }

    /// The most keys in one call: a bigger batch holds Redis (single-threaded) for longer.
    static let maximumBatch = 512

    private let redis: RedisClient
    private let state = Mutex(State())

    init(redis: RedisClient) {
        self.redis = redis
    }

    /// The decision for `ask`, from Redis; throws when Redis cannot be reached.
    func decide(_ ask: Ask) async throws -> RateLimitDecision {
        let queued = await withUnsafeContinuation { (waiter: Waiter) in
            let leads = state.withLock { state -> Bool in
                if state.calling {
                    state.queue.append((ask, waiter))
                    return false
                }
                state.calling = true
                return true
            }
            // nil: nobody is calling, so this caller calls for itself.
            if leads { waiter.resume(returning: nil) }
        }
        if let queued { return try queued.get() }
        let result: Result<RateLimitDecision, any Error>
        do {
            result = .success(try await call([ask])[0])
        } catch {
            result = .failure(error)
        }
        if let next = takeNextBatch() {
            Task { await self.drain(next) }
        }
        return try result.get()
    }

    /// Calls for queued batches until the queue is empty.
    private func drain(_ first: [(ask: Ask, waiter: Waiter)]) async {
        var batch = first
        while true {
            do {
                let decisions = try await call(batch.map(\.ask))
                for (entry, decision) in zip(batch, decisions) { entry.waiter.resume(returning: .success(decision)) }
            } catch {
                for entry in batch { entry.waiter.resume(returning: .failure(error)) }
            }
            guard let next = takeNextBatch() else { return }
            batch = next
        }
    }

    /// The next batch, or nil (and no call under way any more) when nobody is waiting.
    private func takeNextBatch() -> [(ask: Ask, waiter: Waiter)]? {
        state.withLock { state in
            guard !state.queue.isEmpty else {
                state.calling = false
                return nil
            }
            let count = min(state.queue.count, Self.maximumBatch)
            let batch = Array(state.queue.prefix(count))
            state.queue.removeFirst(count)
            return batch
        }
    }

    private func call(_ asks: [Ask]) async throws -> [RateLimitDecision] {
        var arguments: [RedisArgument] = []
        arguments.reserveCapacity(asks.count * 2)
        for ask in asks {
            arguments.append(.int(ask.interval))
            arguments.append(.int(ask.tolerance))
        }
        let reply = try await redis.evaluate(RateLimiter.script, keys: asks.map(\.key), arguments: arguments)
        guard let values = reply.array?.compactMap(\.int), values.count == 4 * asks.count else {
            throw RedisError.unexpectedReply("rate limit script: \(reply)")
        }
        return asks.indices.map { index in
            let base = index * 4
            return RateLimitDecision(
                allowed: values[base] == 1,
                remaining: max(0, values[base + 1]),
                retryAfter: .microseconds(values[base + 2]),
                resetAfter: .microseconds(values[base + 3])
            )
        }
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
