/// Exponential back-off with jitter, shared by every retry loop (Redis reconnects, relays, consumers).
package enum Backoff {
    /// A random delay between half and all of `min(cap, base · 2^(attempt-1))`; `attempt` starts at 1.
    package static func delay(attempt: Int, base: Duration, cap: Duration) -> Duration {
        let exponent = min(max(attempt - 1, 0), 30)
        let ceiling = min(cap, base * (1 << exponent))
        let ceilingMilliseconds = max(ceiling.milliseconds, 1)
        return .milliseconds(Int64.random(in: (ceilingMilliseconds / 2)...ceilingMilliseconds))
    }
}
