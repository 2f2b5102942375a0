import ServiceKit

/// The users service's own settings.
package struct UsersSettings: Sendable {
    /// `USERS_REGISTRATION_ENABLED` (default true): whether anyone may register a new organization; when
    /// false, admins create users.
    package var registrationEnabled: Bool
    /// `USERS_BCRYPT_COST` (default 12): bcrypt work factor for passwords.
    package var bcryptCost: Int
    /// `USERS_REFRESH_TTL` (default 30 days): lifetime of a refresh token.
    package var refreshTokenLifetime: Duration

    package init(settings: Settings) throws {
        registrationEnabled = try settings.bool("USERS_REGISTRATION_ENABLED", default: true)
        bcryptCost = try settings.int("USERS_BCRYPT_COST", default: 12, in: 4...16)
        refreshTokenLifetime = try settings.duration(
            "USERS_REFRESH_TTL",
            default: .seconds(30 * 86_400),
            in: .seconds(60) ... .seconds(365 * 86_400)
        )
    }
}
