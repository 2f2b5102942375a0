import Contracts
import Hummingbird
import Logging
import ServiceKit

/// The users service: accounts, login and tokens, manager profiles and organizations.
package enum UsersService {
    /// The service's name in configuration, logs, metrics and events.
    package static let name = "users"
    /// The HTTP port used when `USERS_HTTP_PORT` / `HTTP_PORT` are unset.
    package static let defaultPort = 8081
}

/// Wires the users service: platform clients, the outbox relay for its events, routes and migrations.
/// `clock` is the wall clock except in tests.
package func buildApplication(
    configuration: ServiceConfiguration,
    logger: Logger,
    clock: any WallClock = SystemWallClock()
) async throws -> some ApplicationProtocol {
    let settings = try UsersSettings(settings: configuration.settings)
    let platform = try await ServicePlatform(
        configuration: configuration,
        logger: logger,
        openAPI: PackageResources.openapi_json
    )
    let (events, relay) = platform.makeEvents(schema: UsersMigrations.schema)
    let accounts = AccountStore(logger: logger)
    guard let signingKey = configuration.auth.signingKey else {
        throw ConfigurationError(
            variable: "JWT_PRIVATE_KEY",
            value: "",
            expected: "kid:d, the Ed25519 private key the users service signs access tokens with"
        )
    }
    let tokens = TokenIssuer(
        signer: await AccessTokenSigner(key: signingKey, settings: configuration.auth),
        revocations: platform.revocations,
        refreshLifetime: settings.refreshTokenLifetime,
        clock: clock,
        logger: logger
    )
    let hasher = try await PasswordHasher.make(cost: settings.bcryptCost)
    let attempts = PasswordAttempts(
        limiter: platform.rateLimiter,
        policy: try RateLimitPolicy.loginFailures.configured(by: configuration.settings)
    )
    let resets = PasswordResetStore(logger: logger)
    let database = platform.database

    let router = try platform.makeRouter(
        rateLimits: RateLimitRules(routes: [
            "POST /api/auth/login": .login, "POST /api/auth/register": .login, "POST /api/auth/password-reset": .login,
        ])
    )
    try KeySetController(settings: configuration.auth).addRoutes(to: router)
    AuthController(
        database: database,
        accounts: accounts,
        tokens: tokens,
        cookie: RefreshCookie(lifetime: settings.refreshTokenLifetime),
        hasher: hasher,
        attempts: attempts,
        events: events,
        registrationEnabled: settings.registrationEnabled
    ).addRoutes(to: router)
    PasswordController(
        database: database,
        accounts: accounts,
        tokens: tokens,
        resets: resets,
        hasher: hasher,
        attempts: attempts,
        events: events
    ).addRoutes(to: router)
    ProfileController(database: database, accounts: accounts, events: events).addRoutes(to: router)
    OrganizationController(database: database, accounts: accounts, events: events).addRoutes(to: router)
    UserAdminController(
        database: database,
        accounts: accounts,
        tokens: tokens,
        hasher: hasher,
        events: events
    ).addRoutes(to: router)

    return try platform.makeApplication(
        router: router,
        schema: UsersMigrations.schema,
        migrations: UsersMigrations.all,
        services: [relay]
    )
}
