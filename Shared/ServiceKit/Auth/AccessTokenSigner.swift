import Foundation
import JWTKit

/// Signs access tokens with the users service's private key. Only the users service makes one; tests make
/// others to forge tokens that every verifier must refuse.
package struct AccessTokenSigner: Sendable {
    private let keys: JWTKeyCollection
    private let keyID: String
    package let settings: AuthSettings

    /// A signer with `key`; `settings` gives the issuer, audience and lifetime of its tokens.
    package init(key: AuthSettings.SigningKey, settings: AuthSettings) async {
        let keys = JWTKeyCollection()
        await keys.add(eddsa: key.key, kid: JWKIdentifier(string: key.id))
        self.keys = keys
        self.keyID = key.id
        self.settings = settings
    }

    /// Signs an access token for `identity`.
    package func sign(_ identity: Identity, issuedAt: Date = Date(), lifetime: Duration? = nil) async throws -> String {
        try await sign(
            AccessTokenClaims(
                identity: identity,
                issuer: settings.issuer,
                audience: settings.audience,
                issuedAt: issuedAt,
                lifetime: lifetime ?? settings.accessTokenLifetime
            )
        )
    }

    /// Signs arbitrary claims (tests use it to forge edge cases).
    package func sign(_ claims: AccessTokenClaims) async throws -> String {
        var header = JWTHeader()
        header.typ = "JWT"
        return try await keys.sign(claims, kid: JWKIdentifier(string: keyID), header: header)
    }
}
