import Contracts
import HTTPTypes
import ServiceKit

/// The rates service's own problems, rendered as problem+json like every other error.
package enum RatesError: ProblemReporting, Equatable {
    /// Nothing is stored yet (the first load has not succeeded): 503 with `Retry-After`.
    case notLoaded
    /// No stored set is effective on the day asked for (it is before the stored history): 404.
    case noRates(String)
    /// CBR could not be reached or answered garbage during an explicit load: 502.
    case sourceFailed(String)

    package var problem: Problem {
        switch self {
        case .notLoaded:
            Problem(
                type: "urn:quoting:problem:rates-not-loaded",
                title: "Service Unavailable",
                status: 503,
                detail: "no exchange rates are stored yet; GET /api/exchange-rates/status says why"
            )
        case .noRates(let detail):
            Problem(type: "urn:quoting:problem:rates-not-found", title: "Not Found", status: 404, detail: detail)
        case .sourceFailed(let detail):
            Problem(
                type: "urn:quoting:problem:rates-source-failed",
                title: "Bad Gateway",
                status: 502,
                detail: detail
            )
        }
    }

    package var problemHeaders: HTTPFields {
        switch self {
        case .notLoaded: [.retryAfter: "60"]
        default: [:]
        }
    }
}
