import Contracts
import Foundation
import HTTPTypes
import Hummingbird
import ServiceKit

/// Where a client keeps its refresh token. JSON clients get it in the answer's body and send it back in the
/// request's body. A browser page asks for cookie mode with `X-Session-Mode: cookie` so that no script can read
/// the token: it then travels only in the ``RefreshCookie``, and the answers carry no `refresh_token`.
enum SessionMode: Sendable {
    case body
    case cookie

    static let header = HTTPField.Name("X-Session-Mode")!

    /// The mode `request` asks for: `body` without the header.
    init(of request: Request) throws {
        switch request.headers[Self.header] {
        case nil: self = .body
        case "cookie": self = .cookie
        case let other?:
            throw APIError.badRequest(
                "X-Session-Mode must be cookie (or absent for tokens in the body), not \(other.prefix(40))"
            )
        }
    }
}

/// The refresh-token cookie of cookie mode: `HttpOnly` (no script reads it), `SameSite=Strict` (no other site's
/// page makes the browser send it), scoped to `/api/auth` (no other route ever sees it), `Secure` when the
/// proxy says the client came over HTTPS (`X-Forwarded-Proto`), and kept as long as the token lives.
struct RefreshCookie: Sendable {
    static let name = "quoting_refresh"
    static let path = "/api/auth"

    let lifetime: Duration

    /// The cookie that hands `token` to the browser.
    func setting(_ token: String, for request: Request) -> Cookie {
        Self.cookie(token, maxAge: Int(lifetime.components.seconds), request: request)
    }

    /// The cookie that makes the browser forget the token (sign-out, or a token that is no longer valid).
    func clearing(for request: Request) -> Cookie {
        Self.cookie("", maxAge: 0, request: request)
    }

    /// The refresh token the browser sent, if any.
    static func token(in request: Request) -> String? {
        guard let value = request.cookies[name]?.value, !value.isEmpty else { return nil }
        return value
    }

    private static func cookie(_ value: String, maxAge: Int, request: Request) -> Cookie {
        Cookie(
            name: name,
            value: value,
            maxAge: maxAge,
            path: path,
            secure: request.headers[.xForwardedProto] == "https",
            httpOnly: true,
            sameSite: .strict
        )
    }
}

/// A refresh without a valid refresh token: 401, and in cookie mode the cookie cleared so that the browser
/// stops sending it.
struct SessionRefused: ProblemReporting {
    let detail: String
    let clearing: Cookie?

    var problem: Problem { APIError.unauthorized(detail).problem }
    var problemHeaders: HTTPFields {
        var headers = APIError.unauthorized(detail).problemHeaders
        if let clearing { headers[.setCookie] = clearing.description }
        return headers
    }
}
