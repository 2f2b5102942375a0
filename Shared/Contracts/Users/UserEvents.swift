import Foundation

/// Payload of `users.registered`: a new organization and its first admin, who signed up themselves.
public struct UserRegistered: EventPayload, Equatable {
    public static let eventType = "users.registered"
    public static let action = EventAction.create

    /// The organization the registration made.
    public struct Organization: Codable, Sendable, Equatable {
        public var id: UUID
        public var name: String

        public init(id: UUID, name: String) {
            self.id = id
            self.name = name
        }
    }

    public var organization: Organization
    public var email: String
    public var role: Role
    public var fullName: String

    enum CodingKeys: String, CodingKey {
        case organization, email, role
        case fullName = "full_name"
    }

    public init(organization: Organization, email: String, role: Role, fullName: String) {
        self.organization = organization
        self.email = email
        self.role = role
        self.fullName = fullName
    }
}

/// Payload of `users.logged_in`: nothing beyond the envelope's actor.
public struct UserLoggedIn: EventPayload, Equatable {
    public static let eventType = "users.logged_in"
    public static let action = EventAction.other

    public init() {}
}

/// Why a login was refused.
public enum LoginFailureReason: String, Codable, Sendable, CaseIterable {
    case unknownEmail = "unknown_email"
    case wrongPassword = "wrong_password"
    case inactive
    /// Too many failures for the email lately; the password was not checked.
    case tooManyFailures = "too_many_failures"
}

/// Payload of `users.login_failed`: the email tried and why it was refused.
public struct UserLoginFailed: EventPayload, Equatable {
    public static let eventType = "users.login_failed"
    public static let action = EventAction.other

    public var email: String
    public var reason: LoginFailureReason

    public init(email: String, reason: LoginFailureReason) {
        self.email = email
        self.reason = reason
    }
}

/// Payload of `users.token_family_revoked`: a refresh token family ended because one of it was reused.
public struct TokenFamilyRevoked: EventPayload, Equatable {
    public static let eventType = "users.token_family_revoked"
    public static let action = EventAction.other

    public var familyID: UUID
    /// Why, in words (`refresh token reused`).
    public var reason: String

    enum CodingKeys: String, CodingKey {
        case familyID = "family_id"
        case reason
    }

    public init(familyID: UUID, reason: String) {
        self.familyID = familyID
        self.reason = reason
    }
}

/// Payload of `users.logged_out`: the refresh token family the logout ended.
public struct UserLoggedOut: EventPayload, Equatable {
    public static let eventType = "users.logged_out"
    public static let action = EventAction.other

    public var familyID: UUID

    enum CodingKeys: String, CodingKey {
        case familyID = "family_id"
    }

    public init(familyID: UUID) {
        self.familyID = familyID
    }
}

/// Payload of `users.logged_out_everywhere`: nothing beyond the envelope's actor.
public struct UserLoggedOutEverywhere: EventPayload, Equatable {
    public static let eventType = "users.logged_out_everywhere"
    public static let action = EventAction.other

    public init() {}
}

/// Payload of `users.password_changed`: nothing, never a password.
public struct PasswordChanged: EventPayload, Equatable {
    public static let eventType = "users.password_changed"
    public static let action = EventAction.update

    public init() {}
}

/// Payload of `users.password_reset_issued`: which token (by id, never the secret), for whom, until when, and
/// `via` what when not through the admin route (`create-admin`).
public struct PasswordResetIssued: EventPayload, Equatable {
    public static let eventType = "users.password_reset_issued"
    public static let action = EventAction.create

    public var resetID: UUID
    public var email: String
    public var expiresAt: Date
    public var via: String?

    enum CodingKeys: String, CodingKey {
        case resetID = "reset_id"
        case email
        case expiresAt = "expires_at"
        case via
    }

    public init(resetID: UUID, email: String, expiresAt: Date, via: String? = nil) {
        self.resetID = resetID
        self.email = email
        self.expiresAt = expiresAt
        self.via = via
    }
}

/// Payload of `users.password_reset_completed`: the reset token that set the new password.
public struct PasswordResetCompleted: EventPayload, Equatable {
    public static let eventType = "users.password_reset_completed"
    public static let action = EventAction.update

    public var resetID: UUID

    enum CodingKeys: String, CodingKey {
        case resetID = "reset_id"
    }

    public init(resetID: UUID) {
        self.resetID = resetID
    }
}

/// Payload of `users.password_reset_refused`: the reset token presented and why it was refused (`unknown`,
/// `used`, `expired`, `revoked`, `inactive`).
public struct PasswordResetRefused: EventPayload, Equatable {
    public static let eventType = "users.password_reset_refused"
    public static let action = EventAction.other

    public var resetID: UUID
    public var reason: String

    enum CodingKeys: String, CodingKey {
        case resetID = "reset_id"
        case reason
    }

    public init(resetID: UUID, reason: String) {
        self.resetID = resetID
        self.reason = reason
    }
}

/// Payload of `users.profile_updated`: the fields of their own profile the user changed.
public struct UserProfileUpdated: EventPayload, Equatable {
    public static let eventType = "users.profile_updated"
    public static let action = EventAction.update

    public var changes: [String: FieldChange]

    public init(changes: [String: FieldChange]) {
        self.changes = changes
    }
}

/// Payload of `users.created`: the new user's email and fields; when the command line made them
/// (`via` `create-admin`), also their organization and whether it was made with them.
public struct UserCreated: EventPayload, Equatable {
    public static let eventType = "users.created"
    public static let action = EventAction.create

    /// The organization `users create-admin` put the user in.
    public struct Organization: Codable, Sendable, Equatable {
        public var id: UUID
        public var name: String
        /// Whether it was created with the user.
        public var created: Bool

        public init(id: UUID, name: String, created: Bool) {
            self.id = id
            self.name = name
            self.created = created
        }
    }

    public var email: String
    /// The user's fields an event may show (no secrets).
    public var after: [String: JSONValue]
    public var via: String?
    public var organization: Organization?

    public init(email: String, after: [String: JSONValue], via: String? = nil, organization: Organization? = nil) {
        self.email = email
        self.after = after
        self.via = via
        self.organization = organization
    }
}

/// Payload of `users.updated`: the fields an admin changed of a user (role, active).
public struct UserUpdated: EventPayload, Equatable {
    public static let eventType = "users.updated"
    public static let action = EventAction.update

    public var changes: [String: FieldChange]

    public init(changes: [String: FieldChange]) {
        self.changes = changes
    }
}

/// Payload of `organizations.updated`: the fields of the organization an admin changed.
public struct OrganizationUpdated: EventPayload, Equatable {
    public static let eventType = "organizations.updated"
    public static let action = EventAction.update

    public var changes: [String: FieldChange]

    public init(changes: [String: FieldChange]) {
        self.changes = changes
    }
}
