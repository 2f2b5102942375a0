import Foundation

/// `POST /api/auth/register`: a new organization and its first user, who becomes its admin.
public struct RegisterRequest: Codable, Sendable, Equatable {
    public var organizationName: String
    public var fullName: String
    public var email: String
    public var password: String

    enum CodingKeys: String, CodingKey {
        case organizationName = "organization_name"
        case fullName = "full_name"
        case email, password
    }

    public init(organizationName: String, fullName: String, email: String, password: String) {
        self.organizationName = organizationName
        self.fullName = fullName
        self.email = email
        self.password = password
    }
}

/// `POST /api/auth/login`.
public struct LoginRequest: Codable, Sendable, Equatable {
    public var email: String
    public var password: String

    public init(email: String, password: String) {
        self.email = email
        self.password = password
    }
}

/// `POST /api/auth/refresh` and `POST /api/auth/logout`.
public struct RefreshRequest: Codable, Sendable, Equatable {
    public var refreshToken: String

    enum CodingKeys: String, CodingKey {
        case refreshToken = "refresh_token"
    }

    public init(refreshToken: String) {
        self.refreshToken = refreshToken
    }
}

/// The answer of login and refresh: a short-lived access token and a rotating refresh token.
public struct TokenResponse: Codable, Sendable, Equatable {
    public var accessToken: String
    /// Absent in cookie mode (`X-Session-Mode: cookie`), where the token travels only in an `HttpOnly` cookie.
    public var refreshToken: String?
    public var tokenType: String
    /// Seconds until the access token expires.
    public var expiresIn: Int

    enum CodingKeys: String, CodingKey {
        case accessToken = "access_token"
        case refreshToken = "refresh_token"
        case tokenType = "token_type"
        case expiresIn = "expires_in"
    }

    public init(accessToken: String, refreshToken: String?, expiresIn: Int) {
        self.accessToken = accessToken
        self.refreshToken = refreshToken
        self.tokenType = "Bearer"
        self.expiresIn = expiresIn
    }
}

/// The answer of registration: the tokens plus the new user and organization.
public struct RegistrationResponse: Codable, Sendable, Equatable {
    public var user: UserAccount
    public var organization: Organization
    public var accessToken: String
    /// Absent in cookie mode, as in ``TokenResponse``.
    public var refreshToken: String?
    public var tokenType: String
    public var expiresIn: Int

    enum CodingKeys: String, CodingKey {
        case user, organization
        case accessToken = "access_token"
        case refreshToken = "refresh_token"
        case tokenType = "token_type"
        case expiresIn = "expires_in"
    }

    public init(user: UserAccount, organization: Organization, tokens: TokenResponse) {
        self.user = user
        self.organization = organization
        self.accessToken = tokens.accessToken
        self.refreshToken = tokens.refreshToken
        self.tokenType = tokens.tokenType
        self.expiresIn = tokens.expiresIn
    }
}

/// A user account with its manager profile, as admins list them.
public struct UserAccount: Codable, Sendable, Equatable {
    public var id: UUID
    public var organizationID: UUID
    /// The login email (unique, case-insensitively).
    public var email: String
    public var role: Role
    public var active: Bool
    public var fullName: String
    public var position: String?
    /// E.164.
    public var phone: String?
    /// The contact email printed on quotes, when it differs from the login email.
    public var contactEmail: String?
    public var createdAt: Date
    public var updatedAt: Date
    public var lastLoginAt: Date?

    enum CodingKeys: String, CodingKey {
        case id
        case organizationID = "organization_id"
        case email, role, active
        case fullName = "full_name"
        case position, phone
        case contactEmail = "contact_email"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
        case lastLoginAt = "last_login_at"
    }

    public init(
        id: UUID,
        organizationID: UUID,
        email: String,
        role: Role,
        active: Bool,
        fullName: String,
        position: String?,
        phone: String?,
        contactEmail: String?,
        createdAt: Date,
        updatedAt: Date,
        lastLoginAt: Date?
    ) {
        self.id = id
        self.organizationID = organizationID
        self.email = email
        self.role = role
        self.active = active
        self.fullName = fullName
        self.position = position
        self.phone = phone
        self.contactEmail = contactEmail
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.lastLoginAt = lastLoginAt
    }
}

/// An organization's details: what a quote's header needs.
public struct Organization: Codable, Sendable, Equatable {
    public var id: UUID
    public var name: String
    public var legalName: String?
    /// ИНН: 10 digits (legal entity) or 12 (sole proprietor), check digits verified.
    public var inn: String?
    /// КПП: 9 characters.
    public var kpp: String?
    public var address: String?
    public var phone: String?
    public var email: String?
    public var website: String?
    public var createdAt: Date
    public var updatedAt: Date

    enum CodingKeys: String, CodingKey {
        case id, name
        case legalName = "legal_name"
        case inn, kpp, address, phone, email, website
        case createdAt = "created_at"
        case updatedAt = "updated_at"
    }

    public init(
        id: UUID,
        name: String,
        legalName: String?,
        inn: String?,
        kpp: String?,
        address: String?,
        phone: String?,
        email: String?,
        website: String?,
        createdAt: Date,
        updatedAt: Date
    ) {
        self.id = id
        self.name = name
        self.legalName = legalName
        self.inn = inn
        self.kpp = kpp
        self.address = address
        self.phone = phone
        self.email = email
        self.website = website
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// The manager's details printed in a quote's signature block.
public struct ManagerProfile: Codable, Sendable, Equatable {
    public var fullName: String
    public var position: String?
    public var phone: String?
    /// The contact email: the one set on the profile, else the login email.
    public var email: String

    enum CodingKeys: String, CodingKey {
        case fullName = "full_name"
        case position, phone, email
    }

    public init(fullName: String, position: String?, phone: String?, email: String) {
        self.fullName = fullName
        self.position = position
        self.phone = phone
        self.email = email
    }
}

/// `GET /api/users/me`: the caller, their signature block and their organization, everything a PDF export
/// needs without asking again.
public struct CurrentUser: Codable, Sendable, Equatable {
    public var user: UserAccount
    public var profile: ManagerProfile
    public var organization: Organization

    public init(user: UserAccount, profile: ManagerProfile, organization: Organization) {
        self.user = user
        self.profile = profile
        self.organization = organization
    }
}

/// `POST /api/users` (admin): a new manager or admin with an initial password.
public struct CreateUserRequest: Codable, Sendable, Equatable {
    public var email: String
    public var fullName: String
    public var role: Role
    public var password: String
    public var position: String?
    public var phone: String?

    enum CodingKeys: String, CodingKey {
        case email
        case fullName = "full_name"
        case role, password, position, phone
    }

    public init(
        email: String,
        fullName: String,
        role: Role,
        password: String,
        position: String? = nil,
        phone: String? = nil
    ) {
        self.email = email
        self.fullName = fullName
        self.role = role
        self.password = password
        self.position = position
        self.phone = phone
    }
}

/// `POST /api/users/me/password`: the caller proves the current password and sets a new one.
public struct ChangePasswordRequest: Codable, Sendable, Equatable {
    public var currentPassword: String
    public var newPassword: String

    enum CodingKeys: String, CodingKey {
        case currentPassword = "current_password"
        case newPassword = "new_password"
    }

    public init(currentPassword: String, newPassword: String) {
        self.currentPassword = currentPassword
        self.newPassword = newPassword
    }
}

/// The answer of `POST /api/users/{id}/password-reset` (admin): a single-use token the user sets a new
/// password with, shown once; the service keeps only its hash.
public struct PasswordResetToken: Codable, Sendable, Equatable {
    public var resetToken: String
    public var expiresAt: Date

    enum CodingKeys: String, CodingKey {
        case resetToken = "reset_token"
        case expiresAt = "expires_at"
    }

    public init(resetToken: String, expiresAt: Date) {
        self.resetToken = resetToken
        self.expiresAt = expiresAt
    }
}

/// `POST /api/auth/password-reset` (anonymous): a reset token and the new password it sets.
public struct PasswordResetRequest: Codable, Sendable, Equatable {
    public var resetToken: String
    public var newPassword: String

    enum CodingKeys: String, CodingKey {
        case resetToken = "reset_token"
        case newPassword = "new_password"
    }

    public init(resetToken: String, newPassword: String) {
        self.resetToken = resetToken
        self.newPassword = newPassword
    }
}
