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
