import Crypto
import ServiceKit

/// Failed password checks per account (the `login_failures` policy, 10 per 15 minutes by default), whatever
/// address they come from: the per-address login limit alone lets an attacker with many addresses guess one
/// account's password without end. Each check takes one request of the account's quota before the password is
/// compared, so concurrent guesses can never exceed the limit, and a correct password gives it back: only
/// failures count. While the quota is empty even the right password is refused (429), which is what makes the
/// limit hold.
struct PasswordAttempts: Sendable {
    let limiter: RateLimiter
    let policy: RateLimitPolicy

    /// The outcome of asking to check a password.
    enum Admission {
        case admitted
        /// Too many failures: the caller may try again after `retryAfter` whole seconds.
        case refused(retryAfter: Int)
    }

    /// Takes one attempt from the quota of the account with login `email`, before its password is checked.
    func begin(email: String) async -> Admission {
        let decision = await limiter.acquire(policy, caller: Self.caller(email))
        guard decision.allowed else {
            // Whole seconds, rounded up: a client told 0 would come straight back.
            let (seconds, attoseconds) = decision.retryAfter.components
            return .refused(retryAfter: max(1, Int(seconds) + (attoseconds > 0 ? 1 : 0)))
        }
        return .admitted
    }

    /// Gives the attempt back: the password was right.
    func succeeded(email: String) async {
        await limiter.release(policy, caller: Self.caller(email))
    }

    /// The 429 answer for an account whose quota is empty.
    func refusal(retryAfter: Int) -> APIError {
        .tooManyRequests(
            retryAfter: retryAfter,
            detail:
                "too many failed password attempts for this account: \(policy.rule) allowed; "
                + "retry in \(retryAfter) s"
        )
    }

    /// The limiter's caller for a login email: lowercased as logins compare emails, and hashed so that Redis
    /// keys hold no address.
    static func caller(_ email: String) -> String {
        let normalized = (FieldFormats.email(email) ?? email).lowercased()
        return "account:" + SHA256.hash(data: Array(normalized.utf8)).hexString
    }
}
