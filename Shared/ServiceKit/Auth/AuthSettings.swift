import Foundation
import JWTKit

/// How access tokens are signed and checked. Only the users service holds a private key and signs; every
/// service verifies with public keys, so nothing another service holds (or its configuration leaks) can mint
/// a token. Keys are Ed25519 (`EdDSA`), named by `kid` so they rotate: several public keys verify, one private
/// key signs.
package struct AuthSettings: Sendable {
    /// A public key and the `kid` that names it in token headers.
    package struct PublicKey: Sendable, Equatable {
        package var id: String
        package var key: EdDSA.PublicKey

        package init(id: String, key: EdDSA.PublicKey) {
            self.id = id
            self.key = key
        }

        /// `kid:<x>`, the form an entry of `JWT_PUBLIC_KEYS` takes (`x`: the 32-byte key, base64url).
        package var setting: String { "\(id):\(Base64URL.encode(key.rawRepresentation))" }
    }

    /// The private key new tokens are signed with, and its `kid`.
    package struct SigningKey: Sendable {
        package var id: String
        package var key: EdDSA.PrivateKey

        package init(id: String, key: EdDSA.PrivateKey) {
            self.id = id
            self.key = key
        }

        /// A new random key named `id` (tests, and anyone generating keys in code).
        package static func generate(id: String) throws -> SigningKey {
            SigningKey(id: id, key: try EdDSA.PrivateKey(curve: .ed25519))
        }

        /// The public half, under the same `kid`.
        package var publicKey: PublicKey { PublicKey(id: id, key: key.publicKey) }

        /// `kid:<d>`, the form `JWT_PRIVATE_KEY` takes (`d`: the 32-byte seed, base64url without padding).
        package var setting: String { "\(id):\(Base64URL.encode(key.rawRepresentation))" }
    }

    /// `JWT_ISSUER` (default `quoting-users`).
    package var issuer: String
    /// `JWT_AUDIENCE` (default `quoting-platform`).
    package var audience: String
    /// `JWT_PUBLIC_KEYS`: every key a token may be signed with.
    package var publicKeys: [PublicKey]
    /// `JWT_PRIVATE_KEY`: set only in the users service, which signs.
    package var signingKey: SigningKey?
    /// `JWT_LEEWAY` (default 30 s): clock skew tolerated on `exp`, `nbf` and `iat`.
    package var leeway: Duration
    /// `JWT_ACCESS_TTL` (default 15 min): lifetime of an access token.
    package var accessTokenLifetime: Duration

    package init(
        issuer: String = "quoting-users",
        audience: String = "quoting-platform",
        publicKeys: [PublicKey],
        signingKey: SigningKey? = nil,
        leeway: Duration = .seconds(30),
        accessTokenLifetime: Duration = .seconds(15 * 60)
    ) {
        self.issuer = issuer
        self.audience = audience
        self.publicKeys = publicKeys
        self.signingKey = signingKey
        self.leeway = leeway
        self.accessTokenLifetime = accessTokenLifetime
    }

    /// Reads `JWT_PUBLIC_KEYS` (required) and `JWT_PRIVATE_KEY` (optional here; the users service requires it),
    /// whatever the environment: no key ships with the code, so there is none to fall back on.
    package init(settings: Settings) throws {
        var publicKeys: [PublicKey] = []
        for entry in settings.list("JWT_PUBLIC_KEYS", default: []) {
            let (id, encoded) = try Self.split(entry, variable: "JWT_PUBLIC_KEYS", value: entry)
            guard let raw = Base64URL.decode(encoded), raw.count == 32,
                let key = try? EdDSA.PublicKey(x: encoded, curve: .ed25519)
            else {
                throw ConfigurationError(
                    variable: "JWT_PUBLIC_KEYS",
                    value: entry,
                    expected: "kid:x pairs, x a 32-byte Ed25519 public key in base64url"
                )
            }
            guard !publicKeys.contains(where: { $0.id == id }) else {
                throw ConfigurationError(variable: "JWT_PUBLIC_KEYS", value: entry, expected: "each kid once")
            }
            publicKeys.append(PublicKey(id: id, key: key))
        }
        guard !publicKeys.isEmpty else {
            throw ConfigurationError(
                variable: "JWT_PUBLIC_KEYS",
                value: "",
                expected: "at least one kid:x pair (the public keys of the users service's signing keys)"
            )
        }
        var signingKey: SigningKey?
        if let entry = settings.optionalString("JWT_PRIVATE_KEY", secret: true) {
            let (id, encoded) = try Self.split(entry, variable: "JWT_PRIVATE_KEY", value: "(secret)")
            guard let raw = Base64URL.decode(encoded), raw.count == 32,
                let key = try? EdDSA.PrivateKey(d: encoded, curve: .ed25519)
            else {
                throw ConfigurationError(
                    variable: "JWT_PRIVATE_KEY",
                    value: "(secret)",
                    expected: "kid:d, d a 32-byte Ed25519 private key in base64url"
                )
            }
            let signing = SigningKey(id: id, key: key)
            guard publicKeys.contains(signing.publicKey) else {
                throw ConfigurationError(
                    variable: "JWT_PRIVATE_KEY",
                    value: "(secret)",
                    expected: "a key whose public half is listed under the same kid in JWT_PUBLIC_KEYS"
                )
            }
            signingKey = signing
        }
        self.init(
            issuer: settings.string("JWT_ISSUER", default: "quoting-users"),
            audience: settings.string("JWT_AUDIENCE", default: "quoting-platform"),
            publicKeys: publicKeys,
            signingKey: signingKey,
            leeway: try settings.duration("JWT_LEEWAY", default: .seconds(30), in: .zero ... .seconds(300)),
            accessTokenLifetime: try settings.duration(
                "JWT_ACCESS_TTL",
                default: .seconds(900),
                in: .seconds(30) ... .seconds(86_400)
            )
        )
    }

    /// The public keys as a JWK Set document (RFC 7517), for verifiers outside the platform.
    package func keySetDocument() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return try encoder.encode(keySet)
    }

    private var keySet: JWKS {
        JWKS(
            keys: publicKeys.map { key in
                JWK.octetKeyPair(
                    .eddsa,
                    identifier: JWKIdentifier(string: key.id),
                    x: Base64URL.encode(key.key.rawRepresentation),
                    y: nil,
                    curve: .ed25519
                )
            }
        )
    }

    private static func split(_ entry: String, variable: String, value: String) throws -> (String, String) {
        let parts = entry.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
            throw ConfigurationError(variable: variable, value: value, expected: "kid:key")
        }
        return (parts[0], parts[1])
    }
}

/// Unpadded base64url (RFC 4648 §5), the encoding of JWTs and JWKs.
package enum Base64URL {
    package static func encode(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    package static func decode(_ text: some StringProtocol) -> Data? {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        return Data(base64Encoded: base64)
    }
}
