import ServiceKit

/// The one rule every new password meets, wherever it is set (registration, an admin creating a user, a
/// change, a reset): 10 to 72 bytes of UTF-8, and not one of the 10,000 most common passwords in any case.
/// Passwords already stored are never judged by it: login checks only what bcrypt checks.
struct PasswordPolicy: Sendable {
    /// Shorter passwords fall to guessing too easily, even throttled.
    static let minimumBytes = 10
    /// bcrypt reads no further: a longer password would be truncated silently, so it is refused instead.
    static let maximumBytes = 72

    /// The common passwords, lowercased.
    let commonPasswords: Set<String>

    /// The policy with the list shipped in `CommonPasswords/common-passwords.txt`, compiled into the service.
    static let shipped = PasswordPolicy(list: PackageResources.common_passwords_txt)

    /// A policy refusing the passwords of `list` (UTF-8, one a line).
    init(list: [UInt8]) {
        let text = String(decoding: list, as: UTF8.self)
        commonPasswords = Set(
            text.split(whereSeparator: \.isNewline).map { $0.lowercased() }.filter { !$0.isEmpty }
        )
    }

    /// Why `password` may not be a new password, as a field message; nil when it may.
    func problem(with password: String) -> String? {
        let bytes = password.utf8.count
        if bytes < Self.minimumBytes {
            return "must be at least \(Self.minimumBytes) bytes of UTF-8 (letters outside Latin take 2 or more)"
        }
        if bytes > Self.maximumBytes {
            return "must be at most \(Self.maximumBytes) bytes of UTF-8: bcrypt would ignore the rest"
        }
        if password.unicodeScalars.contains("\0") { return "must not contain NUL characters" }
        if commonPasswords.contains(password.lowercased()) {
            return "is one of the 10,000 most common passwords: choose one that is harder to guess"
        }
        return nil
    }
}
