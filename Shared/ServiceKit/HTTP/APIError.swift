import Contracts
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import NIOFoundationEssentialsCompat

/// An error a handler throws to answer with a problem body. Services define their own domain enums that
/// conform; ``ProblemMiddleware`` renders all of them the same way.
package protocol ProblemReporting: HTTPResponseError {
    /// The problem body, without the request id (the middleware adds it).
    var problem: Problem { get }
    /// Extra response headers (`Retry-After`, `Allow`, `WWW-Authenticate`).
    var problemHeaders: HTTPFields { get }
}

extension ProblemReporting {
    package var status: HTTPResponse.Status { HTTPResponse.Status(code: problem.status) }
    package var problemHeaders: HTTPFields { [:] }

    package func response(from request: Request, context: some RequestContext) throws -> Response {
        ProblemResponse.make(problem, headers: problemHeaders)
    }
}

/// The problems every service shares. Domain errors with their own `type` conform to ``ProblemReporting``.
package enum APIError: ProblemReporting, Equatable {
    case badRequest(String)
    case unauthorized(String)
    case forbidden(String)
    case notFound(String)
    case methodNotAllowed(allowed: [HTTPRequest.Method])
    case conflict(String)
    case contentTooLarge(limit: Int)
    case unsupportedMediaType(String)
    case validation([FieldError])
    case tooManyRequests(retryAfter: Int, detail: String)
    case internalError
    case unavailable(String, retryAfter: Int)
    case timeout(Duration)

    package var problem: Problem {
        switch self {
        case .badRequest(let detail):
            Problem(title: "Bad Request", status: 400, detail: detail)
        case .unauthorized(let detail):
            Problem(title: "Unauthorized", status: 401, detail: detail)
        case .forbidden(let detail):
            Problem(title: "Forbidden", status: 403, detail: detail)
        case .notFound(let detail):
            Problem(title: "Not Found", status: 404, detail: detail)
        case .methodNotAllowed(let allowed):
            Problem(
                title: "Method Not Allowed",
                status: 405,
                detail: "this resource accepts " + allowed.map(\.rawValue).joined(separator: ", ")
            )
        case .conflict(let detail):
            Problem(title: "Conflict", status: 409, detail: detail)
        case .contentTooLarge(let limit):
            Problem(title: "Content Too Large", status: 413, detail: "the body is larger than \(limit) bytes")
        case .unsupportedMediaType(let detail):
            Problem(title: "Unsupported Media Type", status: 415, detail: detail)
        case .validation(let errors):
            Problem(
                type: ProblemType.validation,
                title: "Validation Failed",
                status: 422,
                detail: errors.count == 1 ? "1 field is invalid" : "\(errors.count) fields are invalid",
                errors: errors
            )
        case .tooManyRequests(_, let detail):
            Problem(type: ProblemType.rateLimited, title: "Too Many Requests", status: 429, detail: detail)
        case .internalError:
            Problem(
                title: "Internal Server Error",
                status: 500,
                detail: "the server failed to answer; the request id identifies it in the logs"
            )
        case .unavailable(let detail, _):
            Problem(title: "Service Unavailable", status: 503, detail: detail)
        case .timeout(let limit):
            Problem(
                title: "Service Unavailable",
                status: 503,
                detail: "the request took longer than \(limit) and was abandoned"
            )
        }
    }

    package var problemHeaders: HTTPFields {
        switch self {
        case .methodNotAllowed(let allowed):
            [.allow: allowed.map(\.rawValue).joined(separator: ", ")]
        case .unauthorized(let detail):
            [.wwwAuthenticate: "Bearer error=\"invalid_token\", error_description=\"\(detail)\""]
        case .tooManyRequests(let retryAfter, _):
            [.retryAfter: String(retryAfter)]
        case .unavailable(_, let retryAfter):
            [.retryAfter: String(retryAfter)]
        case .timeout:
            [.retryAfter: "1"]
        default:
            [:]
        }
    }
}

/// The `type` URIs of problems that have more meaning than their status.
package enum ProblemType {
    package static let validation = "urn:quoting:problem:validation"
    package static let rateLimited = "urn:quoting:problem:rate-limited"
}

/// Renders problems as `application/problem+json` responses.
package enum ProblemResponse {
    private static let encoder = ContractJSON.makeEncoder()

    /// A response carrying `problem`, with `headers` added.
    package static func make(_ problem: Problem, headers: HTTPFields = [:]) -> Response {
        var fields = headers
        fields[.contentType] = Problem.mediaType
        return Response(
            status: HTTPResponse.Status(code: problem.status),
            headers: fields,
            body: .init(byteBuffer: body(problem))
        )
    }

    /// `problem` as JSON bytes.
    package static func body(_ problem: Problem) -> ByteBuffer {
        (try? encoder.encode(problem)).map { ByteBuffer(data: $0) } ?? ByteBuffer(string: "{}")
    }
}
