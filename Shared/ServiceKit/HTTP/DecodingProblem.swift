import Contracts
import Foundation

/// Foundation's decoding errors in words a client developer can act on, the same wherever a body is decoded:
/// a field as sent on the wire (`[3].source.service`) and what is wrong with it (`is required`, `must be an
/// integer`).
package enum DecodingProblem {
    /// The field `error` is about, under `prefix` (an envelope of a batch, `[3]`), and what is wrong with it.
    /// With no field named (the value itself, or a number too long for its type, which JSONDecoder names no key
    /// for), the field is the prefix, or `body`.
    package static func fieldError(_ error: DecodingError, under prefix: String = "") -> FieldError {
        func field(_ keys: [any CodingKey]) -> String {
            let path = self.path(keys)
            if prefix.isEmpty { return path.isEmpty ? "body" : path }
            if path.isEmpty { return prefix }
            return path.hasPrefix("[") ? prefix + path : prefix + "." + path
        }
        switch error {
        case .keyNotFound(let key, let context):
            return FieldError(field: field(context.codingPath + [key]), message: "is required")
        case .valueNotFound(_, let context):
            return FieldError(field: field(context.codingPath), message: "must not be null")
        case .typeMismatch(let type, let context):
            return FieldError(field: field(context.codingPath), message: "must be \(describe(type))")
        case .dataCorrupted(let context):
            return FieldError(field: field(context.codingPath), message: "is not in the expected format")
        @unknown default:
            return FieldError(field: field([]), message: "does not have the expected shape")
        }
    }

    /// One sentence for a 400's `detail`: `count must be an integer`, `the body is not valid JSON`.
    package static func describe(_ error: DecodingError) -> String {
        if case .dataCorrupted(let context) = error, context.codingPath.isEmpty { return "the body is not valid JSON" }
        let problem = fieldError(error)
        return (problem.field == "body" ? "the body" : problem.field) + " " + problem.message
    }

    /// `[3].source.service` for the coding path of that field.
    static func path(_ codingPath: [any CodingKey]) -> String {
        codingPath.reduce(into: "") { path, key in
            if let index = key.intValue {
                path += "[\(index)]"
            } else {
                path += path.isEmpty ? key.stringValue : ".\(key.stringValue)"
            }
        }
    }

    private static func describe(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Bool.Type: "true or false"
        case is Int.Type, is Int64.Type, is Int32.Type: "an integer"
        case is Double.Type, is Decimal.Type: "a number"
        case is [Any].Type: "an array"
        default: "a \(type)"
        }
    }
}
