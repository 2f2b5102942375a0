import Contracts
import Crypto
import Foundation
import Logging
import PostgresNIO
import ServiceKit

/// Issues access tokens (signed JWTs) and rotating refresh tokens. Refresh tokens are random, stored only as
/// SHA-256 hashes, and grouped in families: each refresh replaces the token with a new one of the same
/// family, and a replaced token presented again means it was stolen, so the whole family is revoked.
struct TokenIssuer: Sendable {
    let signer: AccessTokenSigner
    let revocations: TokenRevocations
    let refreshLifetime: Duration
    let clock: any WallClock
    let logger: Logger

    /// What presenting a refresh token led to.
    enum Refresh {
        case rotated(TokenResponse)
        /// A token already replaced was presented again: its family is now revoked.
        case reused(familyID: UUID, user: UserAccount)
        case invalid
    }

    /// Access and refresh tokens for `user`, in the refresh family `family` (a new one when nil).
    func issue(
        for user: UserAccount,
        family: UUID? = nil,
        on connection: PostgresConnection
    ) async throws -> TokenResponse {
        let secret = Self.randomToken()
        let now = clock.now()
        let expires = now.addingTimeInterval(Double(refreshLifetime.components.seconds))
        try await connection.query(
            """
            INSERT INTO users.refresh_tokens (id, user_id, family_id, token_hash, expires_at)
            VALUES (\(UUID()), \(user.id), \(family ?? UUID()), \(Self.digest(secret)), \(expires))
            """,
            logger: logger
        )
        let access = try await signer.sign(user.identity, issuedAt: now)
        return TokenResponse(
            accessToken: access,
            refreshToken: secret,
            expiresIn: Int(signer.settings.accessTokenLifetime.components.seconds)
        )
    }

    /// Rotates `token`, in the caller's transaction.
    func refresh(_ token: String, accounts: AccountStore, on connection: PostgresConnection) async throws -> Refresh {
        let hash = Self.digest(token)
        let rows = try await connection.query(
            """
            SELECT t.family_id, t.user_id, t.expires_at, t.rotated_at, t.revoked_at, u.organization_id
            FROM users.refresh_tokens t JOIN users.users u ON u.id = t.user_id
            WHERE t.token_hash = \(hash)
            FOR UPDATE OF t
            """,
            logger: logger
        )
        var found: (family: UUID, user: UUID, expires: Date, rotated: Date?, revoked: Date?, organization: UUID)?
        for try await row in rows.decode((UUID, UUID, Date, Date?, Date?, UUID).self) { found = row }
        guard let found,
            let user = try await accounts.user(found.user, organizationID: found.organization, on: connection)
        else { return .invalid }
        if found.rotated != nil && found.revoked == nil {
            try await revokeFamily(found.family, on: connection)
            return .reused(familyID: found.family, user: user)
        }
        guard found.revoked == nil, found.expires > clock.now(), user.active else { return .invalid }
        try await connection.query(
            "UPDATE users.refresh_tokens SET rotated_at = now() WHERE token_hash = \(hash)",
            logger: logger
        )
        return .rotated(try await issue(for: user, family: found.family, on: connection))
    }

    /// Revokes the family `token` belongs to (logout); false when the token is unknown.
    func revokeFamily(of token: String, on connection: PostgresConnection) async throws -> (family: UUID, user: UUID)? {
        let rows = try await connection.query(
            "SELECT family_id, user_id FROM users.refresh_tokens WHERE token_hash = \(Self.digest(token))",
            logger: logger
        )
        for try await (family, user) in rows.decode((UUID, UUID).self) {
            try await revokeFamily(family, on: connection)
            return (family, user)
        }
        return nil
    }

    func revokeFamily(_ family: UUID, on connection: PostgresConnection) async throws {
        try await connection.query(
            "UPDATE users.refresh_tokens SET revoked_at = now() WHERE family_id = \(family) AND revoked_at IS NULL",
            logger: logger
        )
    }

    /// Revokes every token of a user, in the caller's transaction: access tokens issued until now (in every
    /// service, within a second) and refresh tokens. The access tokens go first, in Redis: if Redis cannot be
    /// reached this throws and the change that called for it is rolled back, never reported done with live
    /// tokens left behind.
    func revokeAll(userID: UUID, on connection: PostgresConnection) async throws {
        try await revocations.revokeTokens(of: userID)
        try await connection.query(
            "UPDATE users.refresh_tokens SET revoked_at = now() WHERE user_id = \(userID) AND revoked_at IS NULL",
            logger: logger
        )
    }

    static func randomToken() -> String {
        let bytes = (0..<32).map { _ in UInt8.random(in: 0...255) }
        return Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    static func digest(_ token: String) -> String {
        SHA256.hash(data: Array(token.utf8)).hexString
    }
}
