import Contracts
import ServiceKit

/// The body of `POST /api/users`: an account an admin makes, with its first password.
struct NewUserBody: Decodable {
    let email: String
    let fullName: String
    let role: Role
    let password: String
    let position: String?
    let phone: String?

    init(from decoder: any Decoder) throws {
        var body = try JSONBody(
            from: decoder,
            allowed: ["email", "full_name", "role", "password", "position", "phone"]
        )
        let email = body.email("email")
        let fullName = body.string("full_name", maxLength: 200)
        let role = body.choice("role", as: Role.self, required: true)
        let password = body.newPassword("password")
        position = body.patchString("position", maxLength: 200).value
        phone = body.phone("phone").value
        guard let email, let fullName, let role, let password else { throw body.invalid }
        try body.validate()
        (self.email, self.fullName, self.role, self.password) = (email, fullName, role, password)
    }
}

/// The body of `PATCH /api/users/{id}`: a new role, or the account turned off or on. A field left out stays.
struct UserChangeBody: Decodable {
    let role: Role?
    let active: Bool?

    init(from decoder: any Decoder) throws {
        var body = try JSONBody(from: decoder, allowed: ["role", "active"])
        role = body.choice("role", as: Role.self)
        active = body.bool("active")
        try body.validate()
    }
}
