import Contracts
import Foundation
import HTTPTypes
import Hummingbird
import Logging

/// Verifies the `Authorization: Bearer` access token, if any, and puts the proven identity on the context.
///
/// A request without the header continues anonymously (routes that need a caller use ``RequireRoleMiddleware``
/// or `context.requireIdentity()`); a request with a bad token is refused with 401 at once, never downgraded
/// to anonymous.
package struct AuthenticationMiddleware<Context: ServiceContext>: RouterMiddleware {
    private let verifier: AccessTokenVerifier

    package init(verifier: AccessTokenVerifier) {
        self.verifier = verifier
    }

    package func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        guard let header = request.headers[.authorization] else {
            return try await next(request, context)
        }
        guard let token = Self.bearerToken(header) else {
            throw APIError.unauthorized("send the access token as Authorization: Bearer <token>")
        }
        var context = context
        do {
            let identity = try await verifier.verify(token)
            context.identity = identity
        } catch {
            throw APIError.unauthorized(error.message)
        }
        return try await next(request, context)
    }

    /// The token of an `Authorization: Bearer <token>` value (the scheme in any case), or nil for anything
    /// else. Reads bytes: a token is a few hundred characters, on every request.
    static func bearerToken(_ header: String) -> String? {
        let bytes = header.utf8
        var index = bytes.startIndex
        for expected in "bearer ".utf8 {
            guard index < bytes.endIndex else { return nil }
            let byte = bytes[index]
            let lowered = (0x41...0x5A).contains(byte) ? byte | 0x20 : byte
            guard lowered == expected else { return nil }
            bytes.formIndex(after: &index)
        }
        let token = header[index...].trimmingOptionalWhitespace
        return token.isEmpty ? nil : token
    }
}

/// Lets a request through only with a verified identity (401 without) and, when `role` is given, only for
/// that role (403 otherwise). Put it on a route group.
package struct RequireRoleMiddleware<Context: ServiceContext>: RouterMiddleware {
    private let role: Role?

    /// Requires a signed-in caller of `role`, or of any role when `role` is nil.
    package init(_ role: Role? = nil) {
        self.role = role
    }

    package func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        if let role {
            _ = try context.requireRole(role)
        } else {
            _ = try context.requireIdentity()
        }
        return try await next(request, context)
    }
}
