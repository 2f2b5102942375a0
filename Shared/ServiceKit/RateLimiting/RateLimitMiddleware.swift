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
    private let defaultPolicy: RateLimitPolicy
    /// The rules' route policies by path, then method: found without building a key per request.
    private let routePolicies: [String: [String: RateLimitPolicy]]

    package init(limiter: RateLimiter, rules: RateLimitRules) {
        self.limiter = limiter
        self.defaultPolicy = rules.default
        self.routePolicies = rules.routesByPath
    }

    package func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let policy =
            context.endpointPath.flatMap { routePolicies[$0]?[request.method.rawValue] } ?? defaultPolicy
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
                            "too many requests: \(policy.rule) allowed; retry in \(retryAfter) s"
                    ).problem
                    problem.requestID = context.requestID
                    return problem
                }(),
                headers: [.retryAfter: String(retryAfter)]
            )
            response.headers.append(HTTPField(name: .rateLimitPolicy, value: policy.headerValue))
            response.headers.append(HTTPField(name: .rateLimit, value: state))
            return response
        }
        var response: Response
        do {
            response = try await next(request, context)
        } catch {
            // A refused request counts too (a failed login most of all): its problem answer says so. The
            // fields are built here only, so a request that succeeds allocates no field list of its own.
            throw ErrorWithHeaders(error, headers: [.rateLimitPolicy: policy.headerValue, .rateLimit: state])
        }
        // Appended, not set: nothing else writes these, and setting searches every field first.
        response.headers.append(HTTPField(name: .rateLimitPolicy, value: policy.headerValue))
        response.headers.append(HTTPField(name: .rateLimit, value: state))
        return response
    }

    /// Whole seconds, rounded up (a client waiting 0.2 s must be told 1).
    static func seconds(_ duration: Duration) -> Int {
        let (seconds, attoseconds) = duration.components
        return Int(seconds) + (attoseconds > 0 ? 1 : 0)
    }
}
