import Contracts
import Foundation
import JWTKit
import Synchronization

/// Why an access token was refused. Each case answers 401; the message is safe to show.
package enum TokenRejection: Error, Equatable, Sendable {
    case malformed
    case algorithmNotAllowed(String)
    case unknownKey
    case badSignature
    case expired
    case notYetValid
    case issuedInFuture
    case wrongIssuer
    case wrongAudience
    case invalidClaims
    case revoked

    /// A message for the problem body and the `WWW-Authenticate` header.
    package var message: String {
        switch self {
        case .malformed: "the access token is malformed"
        case .algorithmNotAllowed(let alg): "the access token's algorithm \(alg) is not accepted"
        case .unknownKey: "the access token is signed with an unknown key"
        case .badSignature: "the access token's signature is invalid"
        case .expired: "the access token has expired"
        case .notYetValid: "the access token is not valid yet"
        case .issuedInFuture: "the access token was issued in the future"
        case .wrongIssuer: "the access token was issued by someone else"
        case .wrongAudience: "the access token is meant for another audience"
        case .invalidClaims: "the access token's claims are invalid"
        case .revoked: "the access token was revoked: sign in again"
        }
    }
}

/// Verifies access tokens locally: algorithm allow-list, `kid`, signature, `exp`/`nbf`/`iat` with leeway,
/// `iss` and `aud`, and the user's revocations. It holds only public keys: every key in
/// ``AuthSettings/publicKeys`` verifies, so keys rotate by publishing the new public key everywhere, then
/// signing with the new private key, then removing the old public key once its tokens have expired.
package struct AccessTokenVerifier: Sendable {
    /// The only signature algorithm accepted; anything else (`none` and `HS256` included) is refused before
    /// any key is used, so a public key can never be misused as an HMAC secret.
    package static let allowedAlgorithms: Set<String> = ["EdDSA"]

    private let keys: JWTKeyCollection
    private let keyIDs: Set<String>
    private let verified = VerifiedTokens(capacity: 10_000)
    private let revocations: TokenRevocations?
    package let settings: AuthSettings

    /// A verifier with `settings`' public keys; with `revocations`, a token issued before its user's latest
    /// revocation is refused.
    package init(settings: AuthSettings, revocations: TokenRevocations? = nil) async {
        let keys = JWTKeyCollection()
        for key in settings.publicKeys {
            await keys.add(eddsa: key.key, kid: JWKIdentifier(string: key.id))
        }
        self.keys = keys
        self.keyIDs = Set(settings.publicKeys.map(\.id))
        self.revocations = revocations
        self.settings = settings
    }

    /// The identity a valid token proves, or the reason it is refused.
    ///
    /// A client sends the same token with every request for its lifetime: once its signature and claims are
    /// verified, the token (the whole string, signature included) is remembered, and later requests only
    /// check the times and the revocations again.
    package func verify(_ token: String, now: Date = Date()) async throws(TokenRejection) -> Identity {
        let checked: VerifiedToken
        if let known = verified[token] {
            checked = known
        } else {
            checked = try await verifySignatureAndClaims(token)
            verified[token] = checked
        }
        try checked.checkTimes(now: now, leeway: settings.leeway)
        if let revocations, revocations.isRevoked(checked.identity.userID, issuedAt: checked.issuedAt) {
            throw .revoked
        }
        return checked.identity
    }

    private func verifySignatureAndClaims(_ token: String) async throws(TokenRejection) -> VerifiedToken {
        let header = try Self.header(of: token)
        guard let alg = header["alg"] as? String, Self.allowedAlgorithms.contains(alg) else {
            throw .algorithmNotAllowed((header["alg"] as? String) ?? "(none)")
        }
        guard let kid = header["kid"] as? String, keyIDs.contains(kid) else { throw .unknownKey }

        let claims: AccessTokenClaims
        do {
            claims = try await keys.verify(token, as: AccessTokenClaims.self)
        } catch let error as JWTError where error.errorType == .signatureVerificationFailed {
            throw .badSignature
        } catch {
            throw .malformed
        }

        guard claims.issuer.value == settings.issuer else { throw .wrongIssuer }
        guard claims.audience.value.contains(settings.audience) else { throw .wrongAudience }
        guard let userID = UUID(uuidString: claims.subject.value),
            let organizationID = UUID(uuidString: claims.organization),
            let role = Role(rawValue: claims.role)
        else { throw .invalidClaims }
        return VerifiedToken(
            identity: Identity(userID: userID, organizationID: organizationID, role: role, email: claims.email),
            expiresAt: claims.expiresAt.value,
            notBefore: claims.notBefore?.value,
            issuedAt: claims.issuedAt.value
        )
    }

    private static func header(of token: String) throws(TokenRejection) -> [String: Any] {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let data = Base64URL.decode(parts[0]),
            let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        else { throw .malformed }
        return object
    }
}

/// A token whose signature and claims were verified: what it proves, and the times to check at each use.
private struct VerifiedToken: Sendable {
    var identity: Identity
    var expiresAt: Date
    var notBefore: Date?
    var issuedAt: Date

    func checkTimes(now: Date, leeway: Duration) throws(TokenRejection) {
        let leeway = TimeInterval(leeway.components.seconds)
        guard expiresAt.addingTimeInterval(leeway) > now else { throw .expired }
        if let notBefore, notBefore.addingTimeInterval(-leeway) > now { throw .notYetValid }
        guard issuedAt.addingTimeInterval(-leeway) <= now else { throw .issuedInFuture }
    }
}

/// Verified tokens, at most `capacity`; when full it starts over (tokens live 15 minutes, so a full table
/// is mostly expired ones).
private final class VerifiedTokens: Sendable {
    private let capacity: Int
    private let tokens = Mutex<[String: VerifiedToken]>([:])

    init(capacity: Int) { self.capacity = capacity }

    subscript(token: String) -> VerifiedToken? {
        get { tokens.withLock { $0[token] } }
        set {
            tokens.withLock { tokens in
                if tokens.count >= capacity { tokens.removeAll(keepingCapacity: true) }
                tokens[token] = newValue
            }
        }
    }
}
