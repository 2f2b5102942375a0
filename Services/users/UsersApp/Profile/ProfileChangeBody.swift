import ServiceKit

/// The body of `PATCH /api/users/me/profile`: the details printed on the manager's quotes. Each left out stays,
/// null clears it (the name cannot be cleared), a value replaces it.
struct ProfileChangeBody: Decodable {
    let fullName: Patch<String>
    let position: Patch<String>
    let phone: Patch<String>
    let email: Patch<String>

    init(from decoder: any Decoder) throws {
        var body = try JSONBody(from: decoder, allowed: ["full_name", "position", "phone", "email"])
        fullName = body.patchString("full_name", maxLength: 200)
        if case .clear = fullName { body.reject("full_name", "must not be empty") }
        position = body.patchString("position", maxLength: 200)
        phone = body.phone("phone")
        email = body.contactEmail("email")
        try body.validate()
    }
}
