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
    static let script = RedisScript(
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

/// Runs the limiter's script for many callers at once. A caller who finds no call under way makes one for
/// itself alone; callers who arrive while one is under way queue, and when it ends the whole queue (up to
/// ``maximumBatch``) goes in the next call, made by a task that keeps calling while callers keep queueing.
/// Requests of one caller in a batch become one ask for that many cells, plus up to four times as many to
/// lease when the policy allows it (a few round trips' worth of the caller's requests).
final class DecisionBatcher: Sendable {
    /// One caller's request: its key, GCRA parameters in microseconds, and how many cells its policy lets a
    /// batch lease beyond its own requests.
    struct Ask: Sendable {
        var key: String
        var interval: Int
        var tolerance: Int
        var leasable: Int
    }

    private typealias Waiter = UnsafeContinuation<Result<RateLimitDecision, any Error>?, Never>

    private struct State {
        var calling = false
        var queue: [(ask: Ask, waiter: Waiter)] = []
    }

    /// The most keys in one call: a bigger batch holds Redis (single-threaded) for longer.
    static let maximumBatch = 512

    /// Cells granted beyond a batch's requests, handed out without a round trip.
    let leases = RateLimitLeases()
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

    /// The decisions for `asks`, in their order: from cells leased meanwhile, else one script entry per key
    /// for all its requests at once.
    private func call(_ asks: [Ask]) async throws -> [RateLimitDecision] {
        var decisions = [RateLimitDecision](
            repeating: RateLimitDecision(allowed: false, remaining: 0, retryAfter: .zero, resetAfter: .zero),
            count: asks.count
        )
        var entries: [(ask: Ask, requests: [Int])] = []
        var entryOfKey: [String: Int] = [:]
        for (index, ask) in asks.enumerated() {
            if let leased = leases.take(ask.key) {
                decisions[index] = leased
            } else if let entry = entryOfKey[ask.key] {
                entries[entry].requests.append(index)
            } else {
                entryOfKey[ask.key] = entries.count
                entries.append((ask, [index]))
            }
        }
        var arguments: [RedisArgument] = []
        arguments.reserveCapacity(entries.count * 3)
        for entry in entries {
            let requests = entry.requests.count
            let lease = requests > 1 ? min(entry.ask.leasable, 4 * requests) : 0
            arguments.append(.int(entry.ask.interval))
            arguments.append(.int(entry.ask.tolerance))
            arguments.append(.int(requests + lease))
        }
        guard !entries.isEmpty else { return decisions }
        let reply = try await redis.evaluate(RateLimiter.script, keys: entries.map(\.ask.key), arguments: arguments)
        guard let values = reply.array?.compactMap(\.int), values.count == 4 * entries.count else {
            throw RedisError.unexpectedReply("rate limit script: \(reply)")
        }
        let now = ContinuousClock.now
        for (number, entry) in entries.enumerated() {
            let grant = RateLimitGrant(
                cells: values[4 * number],
                remaining: values[4 * number + 1],
                retryAfter: .microseconds(values[4 * number + 2]),
                resetAfter: .microseconds(values[4 * number + 3]),
                interval: .microseconds(entry.ask.interval)
            )
            for (position, request) in entry.requests.enumerated() {
                decisions[request] = grant.decision(forRequest: position)
            }
            if grant.cells > entry.requests.count {
                leases.add(grant, beyond: entry.requests.count, key: entry.ask.key, now: now)
            }
        }
        return decisions
    }
}

/// What the script granted one key: `cells` requests at once, with the quota's state after all of them.
struct RateLimitGrant: Sendable {
    var cells: Int
    var remaining: Int
    var retryAfter: Duration
    var resetAfter: Duration
    var interval: Duration

    /// The decision for the request at `position` (from 0) among those the cells were asked for: the first
    /// ones take the cells in turn, and the cells after a request count as remaining for it.
    func decision(forRequest position: Int) -> RateLimitDecision {
        guard position < cells else {
            return RateLimitDecision(allowed: false, remaining: 0, retryAfter: retryAfter, resetAfter: resetAfter)
        }
        let after = cells - position - 1
        return RateLimitDecision(
            allowed: true,
            remaining: remaining + after,
            retryAfter: .zero,
            resetAfter: max(.zero, resetAfter - interval * after)
        )
    }
}

/// Cells Redis granted beyond the requests of a batch, per key, handed out in process for a short while
/// (``lifetime``) and then dropped. Bounded: expired leases are swept when there are many.
final class RateLimitLeases: Sendable {
    private struct Lease {
        var cells: Int
        var remaining: Int
        var resetAt: ContinuousClock.Instant
        var interval: Duration
        var expiresAt: ContinuousClock.Instant
    }

    /// How long leased cells may be handed out: short, so a caller who stops loses little of its quota.
    static let lifetime: Duration = .milliseconds(500)
    private static let sweepAbove = 10_000
    private let leases = Mutex<[String: Lease]>([:])

    /// A request allowed on a leased cell of `key`, or nil when none is left.
    func take(_ key: String, now: ContinuousClock.Instant = .now) -> RateLimitDecision? {
        leases.withLock { leases -> RateLimitDecision? in
            guard var lease = leases[key] else { return nil }
            guard lease.cells > 0, now < lease.expiresAt else {
                leases[key] = nil
                return nil
            }
            lease.cells -= 1
            leases[key] = lease.cells > 0 ? lease : nil
            return RateLimitDecision(
                allowed: true,
                remaining: lease.remaining + lease.cells,
                retryAfter: .zero,
                resetAfter: max(.zero, lease.resetAt - lease.interval * lease.cells - now)
            )
        }
    }

    /// Keeps the cells of `grant` after the first `used` for `key`, with any still left of its lease.
    func add(_ grant: RateLimitGrant, beyond used: Int, key: String, now: ContinuousClock.Instant) {
        var lease = Lease(
            cells: grant.cells - used,
            remaining: grant.remaining,
            resetAt: now + grant.resetAfter,
            interval: grant.interval,
            expiresAt: now + Self.lifetime
        )
        leases.withLock { leases in
            if let older = leases[key], older.expiresAt > now { lease.cells += older.cells }
            if leases.count >= Self.sweepAbove { leases = leases.filter { $0.value.expiresAt > now } }
            leases[key] = lease
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

    /// Gives one request back to `key`, never beyond a whole quota.
    func release(key: String, interval: Duration) {
        let now = ContinuousClock.now
        guard let tat = arrivals[key] else { return }
        let earlier = tat - interval
        arrivals[key] = earlier > now ? earlier : nil
    }
}

extension Duration {
    /// The whole microseconds in this duration.
    var microseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000 + attoseconds / 1_000_000_000_000
    }
}
