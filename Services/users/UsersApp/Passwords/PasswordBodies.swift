import ServiceKit

/// The body of `POST /api/users/me/password`: the password now, to prove it, and the new one.
struct PasswordChangeBody: Decodable {
    let currentPassword: String
    let newPassword: String

    init(from decoder: any Decoder) throws {
        var body = try JSONBody(from: decoder, allowed: ["current_password", "new_password"])
        let current = body.currentPassword("current_password")
        let new = body.newPassword("new_password")
        guard let current, let new else { throw body.invalid }
        try body.validate()
        (currentPassword, newPassword) = (current, new)
    }
}

/// The body of `POST /api/auth/password-reset`: the token an admin issued, and the new password.
struct PasswordResetBody: Decodable {
    let resetToken: String
    let newPassword: String

    init(from decoder: any Decoder) throws {
        var body = try JSONBody(from: decoder, allowed: ["reset_token", "new_password"])
        let token = body.string("reset_token", maxLength: 200)
        let password = body.newPassword("new_password")
        guard let token, let password else { throw body.invalid }
        try body.validate()
        (resetToken, newPassword) = (token, password)
    }
}
