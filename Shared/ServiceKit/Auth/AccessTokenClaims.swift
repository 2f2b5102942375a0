import Contracts
import Foundation
import JWTKit

/// The claims of an access token issued by the users service.
package struct AccessTokenClaims: JWTPayload, Equatable {
    package var subject: SubjectClaim
    package var organization: String
    package var role: String
    package var email: String
    package var issuer: IssuerClaim
    package var audience: AudienceClaim
    package var expiresAt: ExpirationClaim
    package var notBefore: NotBeforeClaim?
    package var issuedAt: IssuedAtClaim
    package var tokenID: IDClaim?

    enum CodingKeys: String, CodingKey {
        case subject = "sub"
        case organization = "org"
        case role, email
        case issuer = "iss"
        case audience = "aud"
        case expiresAt = "exp"
        case notBefore = "nbf"
        case issuedAt = "iat"
        case tokenID = "jti"
    }

    package init(
        identity: Identity,
        issuer: String,
        audience: String,
        issuedAt: Date,
        lifetime: Duration,
        tokenID: UUID = UUID()
    ) {
        self.subject = SubjectClaim(value: identity.userID.wireString)
        self.organization = identity.organizationID.wireString
        self.role = identity.role.rawValue
        self.email = identity.email
        self.issuer = IssuerClaim(value: issuer)
        self.audience = AudienceClaim(value: audience)
        let seconds = Double(lifetime.components.seconds)
        self.expiresAt = ExpirationClaim(value: issuedAt.addingTimeInterval(seconds))
        self.notBefore = NotBeforeClaim(value: issuedAt)
        self.issuedAt = IssuedAtClaim(value: issuedAt)
        self.tokenID = IDClaim(value: tokenID.wireString)
    }

    /// Time, issuer and audience checks are done by ``AccessTokenVerifier`` with its leeway and settings.
    package func verify(using algorithm: some JWTAlgorithm) async throws {}
}
