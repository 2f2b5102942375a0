import Contracts
import Foundation
import HTTPTypes
import Hummingbird

extension HTTPField.Name {
    /// `RateLimit-Policy` (draft-ietf-httpapi-ratelimit-headers): the quota that applies.
    package static let rateLimitPolicy = constant("RateLimit-Policy")
    /// `RateLimit`: what is left of it (`r`) and when it is whole again (`t`, seconds).
    package static let rateLimit = constant("RateLimit")
}

/// Applies each route's rate limit policy to its caller: the user for signed-in requests, the client IP for
/// anonymous ones (and for IP policies). Every answer carries `RateLimit-Policy` and `RateLimit`; a request
/// over the limit gets 429 with `Retry-After` and a problem body.
package struct RateLimitMiddleware<Context: ServiceContext>: RouterMiddleware {
    private let limiter: RateLimiter
    private let rules: RateLimitRules

    package init(limiter: RateLimiter, rules: RateLimitRules) {
        self.limiter = limiter
        self.rules = rules
    }

    package func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let policy = rules.policy(method: request.method.rawValue, path: context.endpointPath)
        let caller: String =
            switch (policy.key, context.identity) {
            case (.user, .some(let identity)): "u:" + identity.userIDText
            default: "ip:\(context.clientIP ?? "unknown")"
            }
        let decision = await limiter.acquire(policy, caller: caller)
        let state = "\"\(policy.name)\";r=\(decision.remaining);t=\(Self.seconds(decision.resetAfter))"
        guard decision.allowed else {
            let retryAfter = Self.seconds(decision.retryAfter)
            var response = ProblemResponse.make(
                {
                    var problem = APIError.tooManyRequests(
                        retryAfter: retryAfter,
                        detail:
                            "too many requests: \(policy.limit) per \(policy.period) allowed; retry in \(retryAfter) s"
                    ).problem
                    problem.requestID = context.requestID
                    return problem
                }(),
                headers: [.retryAfter: String(retryAfter)]
            )
            response.headers[.rateLimitPolicy] = policy.headerValue
            response.headers[.rateLimit] = state
            return response
        }
        var response = try await next(request, context)
        response.headers[.rateLimitPolicy] = policy.headerValue
        response.headers[.rateLimit] = state
        return response
    }

    /// Whole seconds, rounded up (a client waiting 0.2 s must be told 1).
    static func seconds(_ duration: Duration) -> Int {
        let (seconds, attoseconds) = duration.components
        return Int(seconds) + (attoseconds > 0 ? 1 : 0)
    }
}
