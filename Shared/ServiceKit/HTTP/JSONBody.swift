import Contracts
import Foundation
import Hummingbird
import NIOFoundationEssentialsCompat

/// A field of a PATCH body: left out, set to null (cleared), or given a value.
package enum Patch<Value: Sendable>: Sendable {
    case absent
    case clear
    case set(Value)

    /// The new value when one was given.
    package var value: Value? {
        if case .set(let value) = self { return value }
        return nil
    }

    /// `current` changed as the patch says: kept when absent, nil when cleared, replaced when set.
    package func applied(to current: Value?) -> Value? {
        switch self {
        case .absent: current
        case .clear: nil
        case .set(let value): value
        }
    }
}

/// Reads a JSON object body field by field, collecting every problem so the caller answers one 422 listing
/// them all. Fields the endpoint does not know are refused, so a misspelt field never passes silently.
///
/// A request body type reads itself with it in its `init(from:)`, and `request.decode(as:context:)` gives the
/// typed body or one 422:
///
/// ```swift
/// init(from decoder: any Decoder) throws {
///     var body = try JSONBody(from: decoder, allowed: ["message", "category"])
///     let message = body.string("message", maxLength: 5000, multiline: true)
///     let category = body.choice("category", as: FeedbackCategory.self, required: true)
///     guard let message, let category else { throw body.invalid }
///     try body.validate()
///     (self.message, self.category) = (message, category)
/// }
/// ```
package struct JSONBody {
    private let members: [String: JSONValue]
    /// Every field that is missing, unknown or not acceptable.
    package private(set) var errors: [FieldError] = []

    init(members: [String: JSONValue]) {
        self.members = members
    }

    /// Reads the body a body type is being decoded from: 400 when it is not a JSON object; fields not in
    /// `allowed` become field errors.
    package init(from decoder: any Decoder, allowed: Set<String>) throws {
        guard case .object(let members) = try decoder.singleValueContainer().decode(JSONValue.self) else {
            throw APIError.badRequest("the body must be a JSON object")
        }
        self.init(members: members)
        for key in members.keys.sorted() where !allowed.contains(key) {
            errors.append(FieldError(field: key, message: "is not a field of this request"))
        }
    }

    /// Whether the body names `key` (with any value, null included).
    package func contains(_ key: String) -> Bool { members[key] != nil }

    /// A text field, trimmed; a missing required field, a wrong length or text ``FreeText`` refuses is an error.
    package mutating func string(
        _ key: String,
        required: Bool = true,
        minLength: Int = 1,
        maxLength: Int,
        multiline: Bool = false
    ) -> String? {
        switch patchString(key, minLength: minLength, maxLength: maxLength, multiline: multiline) {
        case .set(let value):
            return value
        case .absent, .clear:
            // A present but unacceptable value has its own error already.
            let missing = members[key] == nil || members[key] == .null
            if required && missing { errors.append(FieldError(field: key, message: "is required")) }
            return nil
        }
    }

    /// A text field of a PATCH: absent, null (clear) or a trimmed value of an acceptable length that
    /// ``FreeText`` accepts. Lengths are counted in Unicode scalars, as Postgres counts them.
    package mutating func patchString(
        _ key: String,
        minLength: Int = 1,
        maxLength: Int,
        multiline: Bool = false
    ) -> Patch<String> {
        guard let value = members[key] else { return .absent }
        switch value {
        case .null:
            return .clear
        case .string(let text):
            let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
            if let problem = FreeText.problem(in: trimmed, multiline: multiline) {
                errors.append(FieldError(field: key, message: problem))
                return .absent
            }
            let length = trimmed.unicodeScalars.count
            guard length >= minLength else {
                errors.append(
                    FieldError(
                        field: key,
                        message: minLength <= 1 ? "must not be empty" : "must be at least \(minLength) characters"
                    )
                )
                return .absent
            }
            guard length <= maxLength else {
                errors.append(FieldError(field: key, message: "must be at most \(maxLength) characters"))
                return .absent
            }
            return .set(trimmed)
        default:
            errors.append(FieldError(field: key, message: "must be a string"))
            return .absent
        }
    }

    /// A text field taken exactly as sent (passwords: spaces count), with a length in bytes.
    package mutating func rawString(_ key: String, minLength: Int, maxBytes: Int) -> String? {
        guard case .string(let text)? = members[key] else {
            errors.append(FieldError(field: key, message: members[key] == nil ? "is required" : "must be a string"))
            return nil
        }
        guard text.count >= minLength else {
            errors.append(FieldError(field: key, message: "must be at least \(minLength) characters"))
            return nil
        }
        guard !text.unicodeScalars.contains("\0") else {
            errors.append(FieldError(field: key, message: "must not contain NUL characters"))
            return nil
        }
        guard text.utf8.count <= maxBytes else {
            errors.append(FieldError(field: key, message: "must be at most \(maxBytes) bytes"))
            return nil
        }
        return text
    }

    /// A boolean field; absent gives nil.
    package mutating func bool(_ key: String) -> Bool? {
        guard let value = members[key] else { return nil }
        guard case .bool(let flag) = value else {
            errors.append(FieldError(field: key, message: "must be true or false"))
            return nil
        }
        return flag
    }

    /// One of the raw values of `T`; absent gives nil, unless required. A choice always has a value, so
    /// `null` is refused (it would otherwise pass as "left out").
    package mutating func choice<T: RawRepresentable & CaseIterable>(
        _ key: String,
        as type: T.Type,
        required: Bool = false
    ) -> T? where T.RawValue == String {
        guard let value = members[key] else {
            if required { errors.append(FieldError(field: key, message: "is required")) }
            return nil
        }
        guard value != .null else {
            errors.append(FieldError(field: key, message: "must not be null"))
            return nil
        }
        guard case .string(let text) = value, let choice = T(rawValue: text) else {
            errors.append(
                FieldError(field: key, message: "must be one of " + T.allCases.map(\.rawValue).joined(separator: ", "))
            )
            return nil
        }
        return choice
    }

    /// Records a problem found by the caller's own checks.
    package mutating func reject(_ key: String, _ message: String) {
        errors.append(FieldError(field: key, message: message))
    }

    /// Throws a 422 listing every problem, if there is any.
    package func validate() throws(APIError) {
        if !errors.isEmpty { throw .validation(errors) }
    }

    /// The 422 listing every problem found so far: what a body type throws when a field it needs is missing
    /// or not acceptable (that field's problem is among them).
    package var invalid: APIError { .validation(errors) }
}
