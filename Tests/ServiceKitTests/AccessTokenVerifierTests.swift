import Contracts
import Foundation
import JWTKit
import ServiceKit
import Testing

@Suite("Access token verification")
struct AccessTokenVerifierTests {
    static let key1 = makeKey("k1")
    static let key2 = makeKey("k2")
    /// What every service holds: the public keys only.
    static let settings = AuthSettings(publicKeys: [key1.publicKey, key2.publicKey])
    static let signer = Signers(settings: settings)

    static func makeKey(_ id: String) -> AuthSettings.SigningKey {
        do { return try .generate(id: id) } catch { fatalError("cannot make a key: \(error)") }
    }

    static let identity = Identity(userID: UUID(), organizationID: UUID(), role: .manager, email: "m@example.ru")

    static func claims(issuedAt: Date = Date(), lifetime: Duration = .seconds(900)) -> AccessTokenClaims {
        AccessTokenClaims(
            identity: identity,
            issuer: settings.issuer,
            audience: settings.audience,
            issuedAt: issuedAt,
            lifetime: lifetime
        )
    }

    @Test("a valid token yields the identity")
    func valid() async throws {
        let verifier = await AccessTokenVerifier(settings: Self.settings)
        let token = try await Self.signer.sign(Self.identity)
        #expect(try await verifier.verify(token) == Self.identity)
    }

    @Test("tokens signed with either published key verify, so the signing key can rotate")
    func rotation() async throws {
        let verifier = await AccessTokenVerifier(settings: Self.settings)
        for key in [Self.key1, Self.key2] {
            let signer = await AccessTokenSigner(key: key, settings: Self.settings)
            #expect(try await verifier.verify(try await signer.sign(Self.identity)) == Self.identity)
        }
    }

    @Test("an expired token is refused, but not within the leeway")
    func expired() async throws {
        let verifier = await AccessTokenVerifier(settings: Self.settings)
        let old = try await Self.signer.sign(
            Self.claims(issuedAt: Date().addingTimeInterval(-3600), lifetime: .seconds(900))
        )
        await #expect(throws: TokenRejection.expired) { try await verifier.verify(old) }
        let justExpired = try await Self.signer.sign(
            Self.claims(issuedAt: Date().addingTimeInterval(-910), lifetime: .seconds(900))
        )
        #expect(try await verifier.verify(justExpired) == Self.identity)
    }

    @Test("a token accepted once is still refused once it expires, and a tampered copy is not taken for it")
    func rememberedTokens() async throws {
        let verifier = await AccessTokenVerifier(settings: Self.settings)
        let token = try await Self.signer.sign(Self.identity)
        #expect(try await verifier.verify(token) == Self.identity)
        #expect(try await verifier.verify(token) == Self.identity)
        await #expect(throws: TokenRejection.expired) {
            try await verifier.verify(token, now: Date().addingTimeInterval(3600))
        }
        let signatureStart = try #require(token.lastIndex(of: ".")).utf16Offset(in: token) + 1
        var characters = Array(token)
        characters[signatureStart] = characters[signatureStart] == "A" ? "B" : "A"
        let tampered = String(characters)
        await #expect(throws: TokenRejection.badSignature) { try await verifier.verify(tampered) }
    }

    @Test("a token not valid yet is refused")
    func notYetValid() async throws {
        let verifier = await AccessTokenVerifier(settings: Self.settings)
        let future = try await Self.signer.sign(Self.claims(issuedAt: Date().addingTimeInterval(600)))
        await #expect(throws: TokenRejection.notYetValid) { try await verifier.verify(future) }
    }

    @Test("a token issued in the future is refused even without nbf")
    func issuedInFuture() async throws {
        let verifier = await AccessTokenVerifier(settings: Self.settings)
        var claims = Self.claims(issuedAt: Date().addingTimeInterval(600))
        claims.notBefore = nil
        await #expect(throws: TokenRejection.issuedInFuture) {
            try await verifier.verify(try await Self.signer.sign(claims))
        }
    }

    @Test("a token signed with any key but the users service's private key is refused")
    func wrongSignature() async throws {
        let verifier = await AccessTokenVerifier(settings: Self.settings)
        let impostor = Self.makeKey("k1")
        let forged = try await AccessTokenSigner(key: impostor, settings: Self.settings).sign(Self.identity)
        await #expect(throws: TokenRejection.badSignature) { try await verifier.verify(forged) }
    }

    @Test("an HS256 token keyed with a published public key is refused (algorithm confusion)")
    func publicKeyAsHMACSecret() async throws {
        let verifier = await AccessTokenVerifier(settings: Self.settings)
        let keys = JWTKeyCollection()
        await keys.add(
            hmac: HMACKey(from: Base64URL.encode(Self.key1.key.publicKey.rawRepresentation)),
            digestAlgorithm: .sha256,
            kid: "k1"
        )
        let forged = try await keys.sign(Self.claims(), kid: "k1")
        await #expect(throws: TokenRejection.algorithmNotAllowed("HS256")) { try await verifier.verify(forged) }
    }

    @Test("a token from another issuer or for another audience is refused")
    func wrongIssuerOrAudience() async throws {
        let verifier = await AccessTokenVerifier(settings: Self.settings)
        var claims = Self.claims()
        claims.issuer = "someone-else"
        await #expect(throws: TokenRejection.wrongIssuer) {
            try await verifier.verify(try await Self.signer.sign(claims))
        }
        claims = Self.claims()
        claims.audience = "another-app"
        await #expect(throws: TokenRejection.wrongAudience) {
            try await verifier.verify(try await Self.signer.sign(claims))
        }
    }

    @Test("alg none and other algorithms are refused before any key is used")
    func algorithmNotAllowed() async throws {
        let verifier = await AccessTokenVerifier(settings: Self.settings)
        let valid = try await Self.signer.sign(Self.identity)
        let payload = valid.split(separator: ".")[1]
        for alg in ["none", "HS256", "HS512", "RS256", "ES256"] {
            let header = Data(#"{"alg":"\#(alg)","typ":"JWT","kid":"k1"}"#.utf8).base64URL
            await #expect(throws: TokenRejection.algorithmNotAllowed(alg)) {
                try await verifier.verify("\(header).\(payload).")
            }
        }
    }

    @Test("an unknown or missing kid is refused")
    func unknownKey() async throws {
        let verifier = await AccessTokenVerifier(settings: Self.settings)
        let other = await AccessTokenSigner(key: Self.makeKey("k9"), settings: Self.settings)
        await #expect(throws: TokenRejection.unknownKey) {
            try await verifier.verify(try await other.sign(Self.identity))
        }
        let valid = try await Self.signer.sign(Self.identity)
        let parts = valid.split(separator: ".")
        let header = Data(#"{"alg":"EdDSA","typ":"JWT"}"#.utf8).base64URL
        await #expect(throws: TokenRejection.unknownKey) {
            try await verifier.verify("\(header).\(parts[1]).\(parts[2])")
        }
    }

    @Test("malformed tokens are refused", arguments: ["", "abc", "a.b", "a.b.c.d", "!!!.e30.sig", "e30.e30.sig"])
    func malformed(token: String) async throws {
        let verifier = await AccessTokenVerifier(settings: Self.settings)
        await #expect(throws: TokenRejection.self) { try await verifier.verify(token) }
    }

    @Test("claims that are not ids or roles are refused")
    func invalidClaims() async throws {
        let verifier = await AccessTokenVerifier(settings: Self.settings)
        var claims = Self.claims()
        claims.role = "superuser"
        await #expect(throws: TokenRejection.invalidClaims) {
            try await verifier.verify(try await Self.signer.sign(claims))
        }
    }
}

/// The signer tests use: the key named `k1`.
struct Signers: Sendable {
    let settings: AuthSettings

    func sign(_ identity: Identity) async throws -> String {
        try await AccessTokenSigner(key: AccessTokenVerifierTests.key1, settings: settings).sign(identity)
    }

    func sign(_ claims: AccessTokenClaims) async throws -> String {
        try await AccessTokenSigner(key: AccessTokenVerifierTests.key1, settings: settings).sign(claims)
    }
}

extension Data {
    /// Unpadded base64url, as in JWTs.
    var base64URL: String {
        base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}
