import Foundation
import ServiceKit

/// Reads the free-text fields of feedback bodies. Lengths are counted in Unicode scalars, as Postgres counts
/// `char_length`, so a value accepted here always fits its column; the text itself follows ``FreeText``, the
/// rule of every service.
enum FeedbackText {
    /// A required field: missing, null, blank or too long is an error.
    static func required(_ body: inout JSONBody, _ key: String, maxLength: Int, multiline: Bool) -> String? {
        switch body.patchString(key, maxLength: maxLength, multiline: multiline) {
        case .set(let text):
            return text
        case .clear:
            body.reject(key, "is required")
        case .absent:
            // Absent after `patchString` is either a missing field or one already rejected (blank, too long).
            if !body.contains(key) { body.reject(key, "is required") }
        }
        return nil
    }

    /// An optional field: absent, null or blank gives nil.
    static func optional(_ body: inout JSONBody, _ key: String, maxLength: Int, multiline: Bool = false) -> String? {
        guard case .set(let text) = body.patchString(key, minLength: 0, maxLength: maxLength, multiline: multiline),
            !text.isEmpty
        else { return nil }
        return text
    }

    /// A field of a PATCH: absent, null (clear) or a non-blank value.
    static func patch(_ body: inout JSONBody, _ key: String, maxLength: Int, multiline: Bool) -> Patch<String> {
        body.patchString(key, maxLength: maxLength, multiline: multiline)
    }

    /// Why `text` is not acceptable, or nil when it is: too long, or refused by ``FreeText``.
    static func problem(_ text: String, maxLength: Int, multiline: Bool) -> String? {
        if text.unicodeScalars.count > maxLength { return "must be at most \(maxLength) characters" }
        return FreeText.problem(in: text, multiline: multiline)
    }

    /// A value the caller does not type (the user agent header): control characters dropped, cut to at most
    /// `maxLength` Unicode scalars, nil when nothing is left.
    static func headerValue(_ text: String?, maxLength: Int) -> String? {
        guard let text else { return nil }
        var scalars = String.UnicodeScalarView()
        scalars.append(
            contentsOf: text.unicodeScalars.lazy.filter { $0.properties.generalCategory != .control }.prefix(maxLength)
        )
        let value = String(scalars).trimmingCharacters(in: .whitespaces)
        return value.isEmpty ? nil : value
    }
}
