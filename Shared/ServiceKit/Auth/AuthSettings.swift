/// How access tokens are signed and checked. Every service verifies; only users signs.
package struct AuthSettings: Sendable {
    /// A shared HS256 secret and the `kid` that names it in token headers.
    package struct SigningKey: Sendable, Equatable {
        package var id: String
        package var secret: String

        package init(id: String, secret: String) {
            self.id = id
            self.secret = secret
        }
    }

    /// `JWT_ISSUER` (default `quoting-users`).
    package var issuer: String
    /// `JWT_AUDIENCE` (default `quoting-platform`).
    package var audience: String
    /// `JWT_KEYS`: `kid:secret` pairs, comma-separated; every one verifies, so keys can rotate.
    package var keys: [SigningKey]
    /// `JWT_SIGNING_KEY_ID` (default the first of `JWT_KEYS`): the key new tokens are signed with.
    package var signingKeyID: String
    /// `JWT_LEEWAY` (default 30 s): clock skew tolerated on `exp`, `nbf` and `iat`.
    package var leeway: Duration
    /// `JWT_ACCESS_TTL` (default 15 min): lifetime of an access token.
    package var accessTokenLifetime: Duration
    /// True when no `JWT_KEYS` was given and the development key is in use.
    package var usesDevelopmentKey: Bool

    /// The key used in development when `JWT_KEYS` is unset. Never accepted with `APP_ENV=production`.
    package static let developmentKey = SigningKey(id: "dev", secret: "development-only-insecure-jwt-secret-change-me")

    package init(
        issuer: String = "quoting-users",
        audience: String = "quoting-platform",
        keys: [SigningKey] = [developmentKey],
        signingKeyID: String? = nil,
        leeway: Duration = .seconds(30),
        accessTokenLifetime: Duration = .seconds(15 * 60)
    ) {
        self.issuer = issuer
        self.audience = audience
        self.keys = keys
        self.signingKeyID = signingKeyID ?? keys.first?.id ?? ""
        self.leeway = leeway
        self.accessTokenLifetime = accessTokenLifetime
        self.usesDevelopmentKey = keys == [Self.developmentKey]
    }

    package init(settings: Settings, environment: DeploymentEnvironment) throws {
        let entries = settings.list("JWT_KEYS", default: [], secret: true)
        var keys: [SigningKey] = []
        for entry in entries {
            let parts = entry.split(separator: ":", maxSplits: 1).map(String.init)
            guard parts.count == 2, !parts[0].isEmpty, parts[1].utf8.count >= 32 else {
                throw ConfigurationError(
                    variable: "JWT_KEYS",
                    value: "(secret)",
                    expected: "comma-separated kid:secret pairs, each secret at least 32 bytes"
                )
            }
            keys.append(SigningKey(id: parts[0], secret: parts[1]))
        }
        if keys.isEmpty {
            guard environment == .development else {
                throw ConfigurationError(
                    variable: "JWT_KEYS",
                    value: "",
                    expected: "at least one kid:secret pair (no default outside APP_ENV=development)"
                )
            }
            keys = [Self.developmentKey]
        }
        let signingKeyID = settings.string("JWT_SIGNING_KEY_ID", default: keys[0].id)
        guard keys.contains(where: { $0.id == signingKeyID }) else {
            throw ConfigurationError(
                variable: "JWT_SIGNING_KEY_ID",
                value: signingKeyID,
                expected: "a kid listed in JWT_KEYS"
            )
        }
        self.init(
            issuer: settings.string("JWT_ISSUER", default: "quoting-users"),
            audience: settings.string("JWT_AUDIENCE", default: "quoting-platform"),
            keys: keys,
            signingKeyID: signingKeyID,
            leeway: try settings.duration("JWT_LEEWAY", default: .seconds(30), in: .zero ... .seconds(300)),
            accessTokenLifetime: try settings.duration(
                "JWT_ACCESS_TTL",
                default: .seconds(900),
                in: .seconds(30) ... .seconds(86_400)
            )
        )
    }
}
