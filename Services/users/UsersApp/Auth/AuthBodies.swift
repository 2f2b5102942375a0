import ServiceKit

/// The body of `POST /api/auth/register`: a new organization and its first user, its admin.
struct RegistrationBody: Decodable {
    let organizationName: String
    let fullName: String
    let email: String
    let password: String

    init(from decoder: any Decoder) throws {
        var body = try JSONBody(from: decoder, allowed: ["organization_name", "full_name", "email", "password"])
        let organizationName = body.string("organization_name", maxLength: 200)
        let fullName = body.string("full_name", maxLength: 200)
        let email = body.email("email")
        let password = body.newPassword("password")
        guard let organizationName, let fullName, let email, let password else { throw body.invalid }
        try body.validate()
        (self.organizationName, self.fullName, self.email, self.password) = (
            organizationName, fullName, email, password
        )
    }
}

/// The body of `POST /api/auth/login`. The email is not checked as an address: whatever it is, a wrong one
/// gets the one answer every failed login gets.
struct LoginBody: Decodable {
    let email: String
    let password: String

    init(from decoder: any Decoder) throws {
        var body = try JSONBody(from: decoder, allowed: ["email", "password"])
        let email = body.string("email", maxLength: 254)
        let password = body.currentPassword("password")
        guard let email, let password else { throw body.invalid }
        try body.validate()
        (self.email, self.password) = (email, password)
    }
}

/// The body of `POST /api/auth/refresh` and `/logout`: the refresh token.
struct RefreshTokenBody: Decodable {
    let refreshToken: String

    init(from decoder: any Decoder) throws {
        var body = try JSONBody(from: decoder, allowed: ["refresh_token"])
        guard let token = body.string("refresh_token", maxLength: 200) else { throw body.invalid }
        try body.validate()
        refreshToken = token
    }
}
