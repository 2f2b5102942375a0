import Contracts

/// What an update changed, for an event's payload: `{"changes": {"phone": {"before": …, "after": …}}}` with
/// only the fields whose value differs. Callers leave secrets out of both sides.
package enum ChangeSet {
    /// The changed fields between `before` and `after` (fields present in either).
    package static func payload(before: [String: JSONValue], after: [String: JSONValue]) -> JSONValue {
        var changes: [String: JSONValue] = [:]
        for key in Set(before.keys).union(after.keys) {
            let old = before[key] ?? .null
            let new = after[key] ?? .null
            if old != new { changes[key] = ["before": old, "after": new] }
        }
        return ["changes": .object(changes)]
    }

    /// Whether anything changed.
    package static func isEmpty(_ payload: JSONValue) -> Bool {
        payload["changes"]?.object?.isEmpty ?? true
    }
}

extension JSONValue {
    /// A string, or null.
    package init(_ text: String?) {
        self = text.map(JSONValue.string) ?? .null
    }
}
