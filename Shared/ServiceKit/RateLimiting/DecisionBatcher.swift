import Synchronization

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
