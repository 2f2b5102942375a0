import Synchronization

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
