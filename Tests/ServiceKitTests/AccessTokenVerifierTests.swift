import Contracts
import Foundation
import JWTKit
import ServiceKit
import Testing

@Suite("Access token verification")
struct AccessTokenVerifierTests {
    static let secret = String(repeating: "k", count: 40)
    static let settings = AuthSettings(
        keys: [.init(id: "k1", secret: secret), .init(id: "k2", secret: secret + "2")],
        signingKeyID: "k1"
    )
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
        let token = try await verifier.sign(Self.identity)
        #expect(try await verifier.verify(token) == Self.identity)
    }

    @Test("a token signed with the previous key still verifies during rotation")
    func rotation() async throws {
        var rotated = Self.settings
        rotated.signingKeyID = "k2"
        let signer = await AccessTokenVerifier(settings: rotated)
        let verifier = await AccessTokenVerifier(settings: Self.settings)
        #expect(try await verifier.verify(try await signer.sign(Self.identity)) == Self.identity)
    }

    @Test("an expired token is refused, but not within the leeway")
    func expired() async throws {
        let verifier = await AccessTokenVerifier(settings: Self.settings)
        let old = try await verifier.sign(
            Self.claims(issuedAt: Date().addingTimeInterval(-3600), lifetime: .seconds(900))
        )
        await #expect(throws: TokenRejection.expired) { try await verifier.verify(old) }
        let justExpired = try await verifier.sign(
            Self.claims(issuedAt: Date().addingTimeInterval(-910), lifetime: .seconds(900))
        )
        #expect(try await verifier.verify(justExpired) == Self.identity)
    }

    @Test("a token accepted once is still refused once it expires, and a tampered copy is not taken for it")
    func rememberedTokens() async throws {
        let verifier = await AccessTokenVerifier(settings: Self.settings)
        let token = try await verifier.sign(Self.identity)
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
        let future = try await verifier.sign(Self.claims(issuedAt: Date().addingTimeInterval(600)))
        await #expect(throws: TokenRejection.notYetValid) { try await verifier.verify(future) }
    }

    @Test("a token issued in the future is refused even without nbf")
    func issuedInFuture() async throws {
        let verifier = await AccessTokenVerifier(settings: Self.settings)
        var claims = Self.claims(issuedAt: Date().addingTimeInterval(600))
        claims.notBefore = nil
        await #expect(throws: TokenRejection.issuedInFuture) {
            try await verifier.verify(try await verifier.sign(claims))
        }
    }

    @Test("a token with a wrong signature is refused")
    func wrongSignature() async throws {
        let other = await AccessTokenVerifier(
            settings: AuthSettings(keys: [.init(id: "k1", secret: String(repeating: "x", count: 40))])
        )
        let verifier = await AccessTokenVerifier(settings: Self.settings)
        let forged = try await other.sign(Self.identity)
        await #expect(throws: TokenRejection.badSignature) { try await verifier.verify(forged) }
    }

    @Test("a token from another issuer or for another audience is refused")
    func wrongIssuerOrAudience() async throws {
        let verifier = await AccessTokenVerifier(settings: Self.settings)
        var claims = Self.claims()
        claims.issuer = "someone-else"
        await #expect(throws: TokenRejection.wrongIssuer) { try await verifier.verify(try await verifier.sign(claims)) }
        claims = Self.claims()
        claims.audience = "another-app"
        await #expect(throws: TokenRejection.wrongAudience) {
            try await verifier.verify(try await verifier.sign(claims))
        }
    }

    @Test("alg none and other algorithms are refused before any key is used")
    func algorithmNotAllowed() async throws {
        let verifier = await AccessTokenVerifier(settings: Self.settings)
        let valid = try await verifier.sign(Self.identity)
        let payload = valid.split(separator: ".")[1]
        for alg in ["none", "HS512", "RS256"] {
            let header = Data(#"{"alg":"\#(alg)","typ":"JWT","kid":"k1"}"#.utf8).base64URL
            await #expect(throws: TokenRejection.algorithmNotAllowed(alg)) {
                try await verifier.verify("\(header).\(payload).")
            }
        }
    }

    @Test("an unknown or missing kid is refused")
    func unknownKey() async throws {
        let verifier = await AccessTokenVerifier(settings: Self.settings)
        let other = await AccessTokenVerifier(settings: AuthSettings(keys: [.init(id: "k9", secret: Self.secret)]))
        await #expect(throws: TokenRejection.unknownKey) {
            try await verifier.verify(try await other.sign(Self.identity))
        }
        let valid = try await verifier.sign(Self.identity)
        let parts = valid.split(separator: ".")
        let header = Data(#"{"alg":"HS256","typ":"JWT"}"#.utf8).base64URL
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
            try await verifier.verify(try await verifier.sign(claims))
        }
    }
}

extension Data {
    /// Unpadded base64url, as in JWTs.
    var base64URL: String {
        base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}
