import ServiceKit

/// The fields accounts and organizations carry, read the same way in every body that has them: the rule of
/// each lives here, with the field, not in the controllers that read it.
extension JSONBody {
    /// A required email address (a sign-in), trimmed and checked.
    mutating func email(_ key: String) -> String? {
        guard let text = string(key, maxLength: 254) else { return nil }
        guard let email = FieldFormats.email(text) else {
            reject(key, "must be an email address")
            return nil
        }
        return email
    }

    /// An email address of a PATCH (a contact address): left out, null (cleared) or an address.
    mutating func contactEmail(_ key: String) -> Patch<String> {
        patch(key, maxLength: 254, as: FieldFormats.email, "must be an email address")
    }

    /// A phone number of a PATCH, kept in the international form once read.
    mutating func phone(_ key: String) -> Patch<String> {
        patch(
            key,
            maxLength: 40,
            as: FieldFormats.phone,
            "must be a phone number, such as +7 495 123-45-67 or 8 (495) 123-45-67"
        )
    }

    /// A text field of a PATCH that `form` turns into the form it is kept in, or refuses with `message`.
    private mutating func patch(
        _ key: String,
        maxLength: Int,
        as form: (String) -> String?,
        _ message: String
    ) -> Patch<String> {
        let field = patchString(key, maxLength: maxLength)
        guard case .set(let text) = field else { return field }
        guard let value = form(text) else {
            reject(key, message)
            return .absent
        }
        return .set(value)
    }

    /// A new password, taken exactly as sent, under the one ``PasswordPolicy``.
    mutating func newPassword(_ key: String) -> String? {
        guard let password = rawString(key, minLength: 0, maxBytes: Int.max) else { return nil }
        if let problem = PasswordPolicy.shipped.problem(with: password) {
            reject(key, problem)
            return nil
        }
        return password
    }

    /// A password already set (to sign in or to prove it), as sent: never judged by today's policy.
    mutating func currentPassword(_ key: String) -> String? {
        rawString(key, minLength: 1, maxBytes: 1024)
    }
}
