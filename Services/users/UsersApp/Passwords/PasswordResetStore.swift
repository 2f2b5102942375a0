import Contracts
import Foundation
import Logging
import PostgresNIO
import ServiceKit

/// Why a reset token was refused. Each is a 422 naming `reset_token`: the holder learns what happened to the
/// token (they hold it, so nothing leaks), and what to do about it.
enum PasswordResetRefusal: String, ProblemReporting, Equatable {
    case unknown
    case used
    case expired
    /// A newer token for the same user, a completed reset or a password change ended it.
    case revoked
    /// The account was deactivated: a reset re-activates nothing.
    case inactive

    var problem: Problem {
        let message =
            switch self {
            case .unknown: "is not a valid reset token"
            case .used: "has already been used"
            case .expired: "has expired"
            case .revoked: "was replaced by a newer reset token or ended by a password change"
            case .inactive: "belongs to a deactivated account"
            }
        return APIError.validation([
            FieldError(field: "reset_token", message: message + "; ask your organization's admin for a new one")
        ]).problem
    }
}

/// Single-use password reset tokens: random, valid for an hour, stored only as SHA-256 hashes (like refresh
/// tokens), with who issued them and when they were used. A user has at most one live token: issuing a new
/// one, completing a reset or changing the password ends the others.
struct PasswordResetStore: Sendable {
    let logger: Logger

    /// How long a reset token is valid: long enough to pass it on, short enough that a leaked one soon dies.
    static let lifetimeSeconds = 3600

    /// A token just issued: the secret (shown once, never stored) and when it expires.
    struct Issued: Sendable {
        var id: UUID
        var token: String
        var expiresAt: Date
    }

    /// A presented token's row and its user.
    struct Presented: Sendable {
        var id: UUID
        var user: UserAccount
        var expired: Bool
        var used: Bool
        var revoked: Bool

        /// Why the token cannot set a password now, or nil when it can.
        var refusal: PasswordResetRefusal? {
            if used { return .used }
            if revoked { return .revoked }
            if expired { return .expired }
            if !user.active { return .inactive }
            return nil
        }
    }

    /// Issues a reset token for `userID`, ending any other live one. `issuedBy` is the admin, nil when the
    /// `create-admin` command issued it.
    func issue(userID: UUID, issuedBy: UUID?, on connection: PostgresConnection) async throws -> Issued {
        try await revokeLive(userID: userID, on: connection)
        let id = UUID()
        let token = TokenIssuer.randomToken()
        let rows = try await connection.query(
            """
            INSERT INTO users.password_resets (id, user_id, token_hash, issued_by, expires_at)
            VALUES (\(id), \(userID), \(TokenIssuer.digest(token)), \(issuedBy),
                now() + \(Self.lifetimeSeconds) * interval '1 second')
            RETURNING expires_at
            """,
            logger: logger
        )
        for try await expiresAt in rows.decode(Date.self) {
            return Issued(id: id, token: token, expiresAt: expiresAt)
        }
        throw APIError.internalError
    }

    /// The reset `token` names and its user, or nil when it names none; `forUpdate` locks the row until the
    /// transaction ends, so that two uses of one token cannot both succeed. Expiry is judged by the database's
    /// clock, the one that set it.
    func find(
        token: String,
        accounts: AccountStore,
        forUpdate: Bool = false,
        on connection: PostgresConnection
    ) async throws -> Presented? {
        let rows = try await connection.query(
            """
            SELECT r.id, r.user_id, u.organization_id, r.expires_at <= now(), r.used_at IS NOT NULL,
                r.revoked_at IS NOT NULL
            FROM users.password_resets r JOIN users.users u ON u.id = r.user_id
            WHERE r.token_hash = \(TokenIssuer.digest(token))
            \(unescaped: forUpdate ? "FOR UPDATE OF r" : "")
            """,
            logger: logger
        )
        var found: (id: UUID, user: UUID, organization: UUID, expired: Bool, used: Bool, revoked: Bool)?
        for try await row in rows.decode((UUID, UUID, UUID, Bool, Bool, Bool).self) { found = row }
        guard let found,
            let user = try await accounts.user(found.user, organizationID: found.organization, on: connection)
        else { return nil }
        return Presented(id: found.id, user: user, expired: found.expired, used: found.used, revoked: found.revoked)
    }

    /// Marks the reset `id` used.
    func markUsed(_ id: UUID, on connection: PostgresConnection) async throws {
        try await connection.query(
            "UPDATE users.password_resets SET used_at = now() WHERE id = \(id)",
            logger: logger
        )
    }

    /// Ends every live (unused, unrevoked) reset token of `userID`.
    func revokeLive(userID: UUID, on connection: PostgresConnection) async throws {
        try await connection.query(
            """
            UPDATE users.password_resets SET revoked_at = now()
            WHERE user_id = \(userID) AND used_at IS NULL AND revoked_at IS NULL
            """,
            logger: logger
        )
    }
}
