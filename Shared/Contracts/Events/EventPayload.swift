import Foundation

/// The payload of one event type, which declares that type and its action once, beside its members: a service
/// writes an event and a test or consumer reads it through one Codable type, never a type name string and a
/// dictionary that can drift apart.
public protocol EventPayload: Codable, Sendable {
    /// The envelope's `type` (`users.logged_in`).
    static var eventType: String { get }
    /// The envelope's `action`.
    static var action: EventAction { get }
}

/// One changed field of an update's payload: its value before and after, `null` when it had none.
public struct FieldChange: Codable, Sendable, Equatable {
    public var before: JSONValue
    public var after: JSONValue

    public init(before: JSONValue, after: JSONValue) {
        self.before = before
        self.after = after
    }
}
