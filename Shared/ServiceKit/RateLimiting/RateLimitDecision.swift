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
