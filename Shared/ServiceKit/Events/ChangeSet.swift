import Contracts

/// What an update changed, for an event's payload (`changes` of ``UserUpdated`` and its kind): only the fields
/// whose value differs, each with its value before and after. Callers leave secrets out of both sides.
package enum ChangeSet {
    /// The changed fields between `before` and `after` (fields present in either; a missing one is null).
    package static func changes(
        before: [String: JSONValue],
        after: [String: JSONValue]
    ) -> [String: FieldChange] {
        var changes: [String: FieldChange] = [:]
        for key in Set(before.keys).union(after.keys) {
            let old = before[key] ?? .null
            let new = after[key] ?? .null
            if old != new { changes[key] = FieldChange(before: old, after: new) }
        }
        return changes
    }
}

extension JSONValue {
    /// A string, or null.
    package init(_ text: String?) {
        self = text.map(JSONValue.string) ?? .null
    }
}
