import Foundation

/// Payload of `feedback.created`: the new submission's fields.
public struct FeedbackCreated: EventPayload, Equatable {
    public static let eventType = "feedback.created"
    public static let action = EventAction.create

    public var after: [String: JSONValue]

    public init(after: [String: JSONValue]) {
        self.after = after
    }
}

/// Payload of `feedback.updated`: the fields of a submission a reviewer changed.
public struct FeedbackUpdated: EventPayload, Equatable {
    public static let eventType = "feedback.updated"
    public static let action = EventAction.update

    public var changes: [String: FieldChange]

    public init(changes: [String: FieldChange]) {
        self.changes = changes
    }
}
