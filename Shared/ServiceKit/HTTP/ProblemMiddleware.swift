import Contracts
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import PostgresNIO

/// An error on its way to ``ProblemMiddleware`` with headers its answer carries too (a middleware's own
/// headers, such as the rate limit state, on a request that failed further in).
package struct ErrorWithHeaders: Error, CustomStringConvertible, CustomDebugStringConvertible {
    package var underlying: any Error
    package var headers: HTTPFields

    package init(_ underlying: any Error, headers: HTTPFields) {
        self.underlying = underlying
        self.headers = headers
    }

    /// The underlying error's, so logs show what failed rather than the wrapper.
    package var description: String { String(describing: underlying) }
    package var debugDescription: String { String(reflecting: underlying) }
}

/// Turns every error into an `application/problem+json` answer with the request id, identical in every
/// service. Server-side failures are logged with their full description and answered without internals.
package struct ProblemMiddleware<Context: ServiceContext>: RouterMiddleware {
    package init() {}

    package func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            return Self.answer(error, request: request, context: context)
        }
    }

    /// The problem answering `error`, logged the one way every error is: a server failure (500) as an error
    /// with its full description, an abandoned request (503) as a warning, anything else the caller's doing at
    /// debug level. ``ServiceResponder`` answers what fails outside the router (timeouts, body limits) with it too.
    static func answer(_ error: any Error, request: Request, context: Context) -> Response {
        var (problem, headers) = describe(error, request: request, context: context)
        problem.requestID = context.requestID
        switch problem.status {
        case 500:
            context.logger.error(
                "request failed",
                metadata: ["error": "\(String(reflecting: error))", "http.status": "\(problem.status)"]
            )
        case 503:
            context.logger.warning(
                "request abandoned",
                metadata: ["error": "\(error)", "http.status": "\(problem.status)"]
            )
        default:
            context.logger.debug(
                "request refused",
                metadata: ["http.status": "\(problem.status)", "detail": "\(problem.detail ?? "")"]
            )
        }
        return ProblemResponse.make(problem, headers: headers)
    }

    /// The problem and extra headers that answer `error`.
    static func describe(_ error: any Error, request: Request, context: Context) -> (Problem, HTTPFields) {
        switch error {
        case let error as ErrorWithHeaders:
            var (problem, headers) = describe(error.underlying, request: request, context: context)
            headers.append(contentsOf: error.headers)
            return (problem, headers)
        case let error as any ProblemReporting:
            return (error.problem, error.problemHeaders)
        case let error as HTTPError where error.status == .notFound && error.body == nil:
            return (APIError.notFound("no route for \(request.method.rawValue) \(request.uri.path)").problem, [:])
        case let error as HTTPError where error.status == .contentTooLarge:
            return (APIError.contentTooLarge(limit: context.bodyLimit).problem, [:])
        case let error as HTTPError:
            var headers = error.headers
            headers[.contentType] = nil
            let problem = Problem(
                title: error.status.reasonPhrase,
                status: error.status.code,
                detail: error.body ?? error.status.reasonPhrase
            )
            return (problem, headers)
        case is NIOTooManyBytesError:
            return (APIError.contentTooLarge(limit: context.bodyLimit).problem, [:])
        case let error as DecodingError:
            return (APIError.badRequest(DecodingProblem.describe(error)).problem, [:])
        case let error as any HTTPResponseError:
            return (Problem(title: error.status.reasonPhrase, status: error.status.code), [:])
        case let error as DatabaseUnavailable:
            return unavailable(APIError.unavailable("the database is busy: \(error)", retryAfter: 1))
        case let error as PSQLError where error.sqlState?.hasPrefix("22") == true:
            // A data exception (a value Postgres cannot store or read) is the request's fault: the checks in
            // front should have said so, but a 400 is still the right answer, not a 500.
            return (APIError.badRequest("a value in the request cannot be stored").problem, [:])
        case let error as PSQLError where error.isTransient:
            return unavailable(
                APIError.unavailable("the database is unavailable or busy; retry shortly", retryAfter: 2)
            )
        case let error as RedisError where error.isTransportFailure:
            return unavailable(
                APIError.unavailable("the cache and message broker is unavailable; retry shortly", retryAfter: 2)
            )
        case is CancellationError:
            return unavailable(
                APIError.unavailable("the request was cancelled while the service shuts down", retryAfter: 1)
            )
        default:
            return (APIError.internalError.problem, [:])
        }
    }

    private static func unavailable(_ error: APIError) -> (Problem, HTTPFields) {
        (error.problem, error.problemHeaders)
    }
}
