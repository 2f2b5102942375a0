import Foundation
import ServiceKit

/// Reads the free-text fields of feedback bodies. Lengths are counted in Unicode scalars, as Postgres counts
/// `char_length`, so a value accepted here always fits its column; control characters are refused (Postgres
/// text cannot hold NUL at all), except line breaks and tabs in multi-line fields.
enum FeedbackText {
    /// A required field: missing, null, blank or too long is an error.
    static func required(_ body: inout JSONBody, _ key: String, maxLength: Int, multiline: Bool) -> String? {
        switch body.patchString(key, maxLength: maxLength) {
        case .set(let text):
            return checked(&body, key, text, maxLength: maxLength, multiline: multiline)
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
        guard case .set(let text) = body.patchString(key, minLength: 0, maxLength: maxLength), !text.isEmpty else {
            return nil
        }
        return checked(&body, key, text, maxLength: maxLength, multiline: multiline)
    }

    /// A field of a PATCH: absent, null (clear) or a non-blank value.
    static func patch(_ body: inout JSONBody, _ key: String, maxLength: Int, multiline: Bool) -> Patch<String> {
        let field = body.patchString(key, maxLength: maxLength)
        guard case .set(let text) = field else { return field }
        return checked(&body, key, text, maxLength: maxLength, multiline: multiline).map(Patch.set) ?? .absent
    }

    /// Why `text` is not acceptable, or nil when it is.
    static func problem(_ text: String, maxLength: Int, multiline: Bool) -> String? {
        if text.unicodeScalars.count > maxLength { return "must be at most \(maxLength) characters" }
        let allowed: Set<Unicode.Scalar> = multiline ? ["\n", "\r", "\t"] : []
        let hasControl = text.unicodeScalars.contains {
            $0.properties.generalCategory == .control && !allowed.contains($0)
        }
        if hasControl {
            return multiline ? "must not contain control characters other than line breaks" : "must be one line of text"
        }
        return nil
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

    private static func checked(
        _ body: inout JSONBody,
        _ key: String,
        _ text: String,
        maxLength: Int,
        multiline: Bool
    ) -> String? {
        if let problem = problem(text, maxLength: maxLength, multiline: multiline) {
            body.reject(key, problem)
            return nil
        }
        return text
    }
}
