/// A limit on how often one caller may do something: `limit` requests per `period`, all of them available
/// at once (the burst equals the limit), refilled evenly over the period.
package struct RateLimitPolicy: Sendable, Equatable {
    /// Who counts as one caller.
    package enum Key: Sendable, Equatable {
        /// The signed-in user (the client IP when anonymous).
        case user
        /// The client IP, even when signed in (login, registration).
        case ip
    }

    /// The policy's name in headers, metrics and configuration (`default`, `login`, `export`).
    package let name: String
    package let limit: Int
    package let period: Duration
    package let key: Key
    /// The time one request "costs": the period divided by the limit.
    let emissionInterval: Duration
    /// The `RateLimit-Policy` field value (draft-ietf-httpapi-ratelimit-headers): `"name";q=50;w=60`.
    let headerValue: String
    /// The most cells a replica may lease ahead for one caller: 1% of the quota, none under 100 requests (such
    /// policies stay exact).
    let leasableCells: Int

    package init(name: String, limit: Int, period: Duration, key: Key = .user) {
        self.name = name
        self.limit = limit
        self.period = period
        self.key = key
        self.emissionInterval = period / limit
        self.headerValue = "\"\(name)\";q=\(limit);w=\(max(1, period.components.seconds))"
        self.leasableCells = limit >= 100 ? limit / 100 : 0
    }

    /// The policy in words for a problem's detail: `50 per minute`, `10 per 15 minutes`, `3 per 90 seconds`.
    package var rule: String {
        let seconds = max(1, period.components.seconds)
        let (count, unit): (Int64, String) =
            seconds % 3600 == 0
            ? (seconds / 3600, "hour") : seconds % 60 == 0 ? (seconds / 60, "minute") : (seconds, "second")
        return count == 1 ? "\(limit) per \(unit)" : "\(limit) per \(count) \(unit)s"
    }
}

extension RateLimitPolicy {
    /// Ordinary routes: 50 requests a minute per user (the README's `RATE_LIMIT_DEFAULT`).
    package static let standard = RateLimitPolicy(name: "default", limit: 50, period: .seconds(60))
    /// Login, registration and password reset: 10 a minute per IP.
    package static let login = RateLimitPolicy(name: "login", limit: 10, period: .seconds(60), key: .ip)
    /// Failed password checks: 10 per 15 minutes per account, whatever the address. Not a route rule: the users
    /// service applies it to the account a request names (the login email), which only its handlers know.
    package static let loginFailures = RateLimitPolicy(name: "login_failures", limit: 10, period: .seconds(900))
    /// Feedback submission: 5 a minute per user.
    package static let feedback = RateLimitPolicy(name: "feedback", limit: 5, period: .seconds(60))
    /// Loading exchange rates on demand: 2 a minute per user.
    package static let ratesReload = RateLimitPolicy(name: "rates_reload", limit: 2, period: .seconds(60))
    /// CSV export: 6 a minute per user.
    package static let export = RateLimitPolicy(name: "export", limit: 6, period: .seconds(60))
    /// Ingestion by outside systems: generous, per calling address (they authenticate with a key, not a user).
    package static let ingestion = RateLimitPolicy(name: "ingestion", limit: 6000, period: .seconds(60), key: .ip)
}

/// Which policy guards which route, declared in one place per service. Routes not listed use the default.
package struct RateLimitRules: Sendable {
    package var `default`: RateLimitPolicy
    package var routes: [String: RateLimitPolicy]

    /// `routes` maps `"METHOD /route/pattern"` (as registered, e.g. `"POST /api/auth/login"`) to a policy.
    package init(default: RateLimitPolicy = .standard, routes: [String: RateLimitPolicy] = [:]) {
        self.default = `default`
        self.routes = routes
    }

    /// The route policies by route pattern, then method: what a request's route finds without building a key.
    package var routesByPath: [String: [String: RateLimitPolicy]] {
        var byPath: [String: [String: RateLimitPolicy]] = [:]
        for (route, policy) in routes {
            let parts = route.split(separator: " ", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { continue }
            byPath[parts[1], default: [:]][parts[0]] = policy
        }
        return byPath
    }

    /// The same rules with limits replaced by configuration: `RATE_LIMIT_<NAME>` = `limit/period`
    /// (`50/1m`, `10/60s`).
    package func configured(by settings: Settings) throws -> RateLimitRules {
        var rules = self
        rules.default = try self.default.configured(by: settings)
        for (route, policy) in routes { rules.routes[route] = try policy.configured(by: settings) }
        return rules
    }
}

extension RateLimitPolicy {
    /// This policy with its limit replaced by configuration: `RATE_LIMIT_<NAME>` = `limit/period`. For policies
    /// a service applies itself rather than through ``RateLimitRules``.
    package func configured(by settings: Settings) throws -> RateLimitPolicy {
        let variable = "RATE_LIMIT_\(name.uppercased())"
        guard let (found, text) = settings.raw(variable) else { return self }
        let parts = text.split(separator: "/", maxSplits: 1).map(String.init)
        guard parts.count == 2, let limit = Int(parts[0]), limit > 0, limit <= 1_000_000,
            let period = Settings.parseDuration(parts[1]), period >= .seconds(1)
        else {
            throw ConfigurationError(variable: found, value: text, expected: "limit/period such as 50/1m or 10/60s")
        }
        return RateLimitPolicy(name: name, limit: limit, period: period, key: key)
    }
}
