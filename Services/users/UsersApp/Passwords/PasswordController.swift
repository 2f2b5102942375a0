import Contracts
import Foundation
import HTTPTypes
import Hummingbird
import PostgresNIO
import ServiceKit

/// Passwords after registration: `POST /api/users/me/password` (change, signed in), `POST
/// /api/users/{id}/password-reset` (an admin issues a reset token for a user of their organization) and `POST
/// /api/auth/password-reset` (anyone holding a reset token sets the password). Each ends every refresh token
/// of the user, and every use of a reset token, refused or not, is an event.
struct PasswordController: Sendable {
    let database: Database
    let accounts: AccountStore
    let tokens: TokenIssuer
    let resets: PasswordResetStore
    let hasher: PasswordHasher
    let attempts: PasswordAttempts
    let events: EventRecorder

    func addRoutes(to router: Router<ServiceRequestContext>) {
        router.group("api/users/me").add(middleware: RequireRoleMiddleware()).post("password", use: change)
        router.group("api/users").add(middleware: RequireRoleMiddleware(.admin))
            .post("{id}/password-reset", use: issueReset)
        router.group("api/auth").post("password-reset", use: completeReset)
    }

    // MARK: - Change

    @Sendable func change(_ request: Request, context: ServiceRequestContext) async throws -> HTTPResponse.Status {
        let identity = try context.requireIdentity()
        let body = try await request.decode(as: PasswordChangeBody.self, context: context)
        let (current, new) = (body.currentPassword, body.newPassword)

        let found = try await database.withConnection { connection in
            try await accounts.credentials(
                userID: identity.userID,
                organizationID: identity.organizationID,
                on: connection
            )
        }
        guard let (user, storedHash) = found, user.active else {
            throw APIError.unauthorized("this account is no longer active")
        }
        // A stolen access token must not become a way to guess the password: the same per-account limit as login.
        if case .refused(let retryAfter) = await attempts.begin(email: user.email) {
            throw attempts.refusal(retryAfter: retryAfter)
        }
        guard try await hasher.verify(current, against: storedHash) else {
            throw APIError.validation([FieldError(field: "current_password", message: "is not your current password")])
        }
        await attempts.succeeded(email: user.email)

        let newHash = try await hasher.hash(new)
        try await database.withTransaction { connection in
            guard try await accounts.setPassword(user.id, hash: newHash, expected: storedHash, on: connection) else {
                throw APIError.conflict("the password was changed by another request meanwhile; sign in again")
            }
            try await tokens.revokeAll(userID: user.id, on: connection)
            try await resets.revokeLive(userID: user.id, on: connection)
            try await events.record(
                PasswordChanged(),
                resource: EventResource(type: "user", id: user.id.wireString),
                context: context,
                on: connection
            )
        }
        return .noContent
    }

    // MARK: - Reset

    @Sendable func issueReset(
        _ request: Request,
        context: ServiceRequestContext
    ) async throws -> EditedResponse<PasswordResetToken> {
        let identity = try context.requireIdentity()
        let id = try UserAdminController.userID(context)
        let issued = try await database.withTransaction { connection in
            try await accounts.requireActiveAdmin(identity, on: connection)
            guard
                let user = try await accounts.user(
                    id,
                    organizationID: identity.organizationID,
                    on: connection,
                    forUpdate: true
                )
            else { throw AccountError.userNotFound }
            let issued = try await resets.issue(userID: user.id, issuedBy: identity.userID, on: connection)
            try await events.record(
                PasswordResetIssued(resetID: issued.id, email: user.email, expiresAt: issued.expiresAt),
                resource: EventResource(type: "user", id: user.id.wireString),
                context: context,
                on: connection
            )
            return issued
        }
        return EditedResponse(
            status: .created,
            headers: .noStore,
            response: PasswordResetToken(resetToken: issued.token, expiresAt: issued.expiresAt)
        )
    }

    @Sendable func completeReset(
        _ request: Request,
        context: ServiceRequestContext
    ) async throws -> HTTPResponse.Status {
        let body = try await request.decode(as: PasswordResetBody.self, context: context)
        let (token, password) = (body.resetToken, body.newPassword)

        // A first look without a lock, so that a token that will be refused costs no bcrypt hash.
        let seen = try await database.withConnection { connection in
            try await resets.find(token: token, accounts: accounts, on: connection)
        }
        guard let seen else {
            context.logger.warning("an unknown password reset token was presented")
            throw PasswordResetRefusal.unknown
        }
        if let refusal = seen.refusal {
            try await database.withTransaction { connection in
                try await record(refusal, of: seen, context: context, on: connection)
            }
            throw refusal
        }

        let hash = try await hasher.hash(password)
        // Judged again under the row's lock: two uses of one token at once, only one sets the password.
        let refusal = try await database.withTransaction { connection -> PasswordResetRefusal? in
            guard
                let presented = try await resets.find(token: token, accounts: accounts, forUpdate: true, on: connection)
            else { return .unknown }
            if let refusal = presented.refusal {
                try await record(refusal, of: presented, context: context, on: connection)
                return refusal
            }
            let user = presented.user
            _ = try await accounts.setPassword(user.id, hash: hash, on: connection)
            try await resets.markUsed(presented.id, on: connection)
            try await resets.revokeLive(userID: user.id, on: connection)
            try await tokens.revokeAll(userID: user.id, on: connection)
            try await events.record(
                PasswordResetCompleted(resetID: presented.id),
                resource: EventResource(type: "user", id: user.id.wireString),
                actor: user.identity,
                context: context,
                on: connection
            )
            return nil
        }
        if let refusal { throw refusal }
        return .noContent
    }

    /// Records a refused use of a reset token, attributed to the token's user and organization.
    private func record(
        _ refusal: PasswordResetRefusal,
        of presented: PasswordResetStore.Presented,
        context: ServiceRequestContext,
        on connection: PostgresConnection
    ) async throws {
        try await events.record(
            PasswordResetRefused(resetID: presented.id, reason: refusal.rawValue),
            resource: EventResource(type: "user", id: presented.user.id.wireString),
            organizationID: presented.user.organizationID,
            context: context,
            on: connection
        )
    }
}

extension HTTPFields {
    /// Answers that carry a token or a secret must never be stored by a cache, the browser's included.
    static let noStore: HTTPFields = [.cacheControl: "no-store"]
}
