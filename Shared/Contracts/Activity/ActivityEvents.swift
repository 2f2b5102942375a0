import Foundation

/// Payload of `activity.exported`: an export of the activity log, in which `format` and with which filters.
public struct ActivityExported: EventPayload, Equatable {
    public static let eventType = "activity.exported"
    public static let action = EventAction.read

    /// The filters of the export; those not given are left out.
    public struct Filters: Codable, Sendable, Equatable {
        public var userID: UUID?
        public var action: EventAction?
        public var resourceType: String?
        public var resourceID: String?
        public var from: Date?
        public var to: Date?

        enum CodingKeys: String, CodingKey {
            case userID = "user_id"
            case action
            case resourceType = "resource_type"
            case resourceID = "resource_id"
            case from, to
        }

        public init(
            userID: UUID? = nil,
            action: EventAction? = nil,
            resourceType: String? = nil,
            resourceID: String? = nil,
            from: Date? = nil,
            to: Date? = nil
        ) {
            self.userID = userID
            self.action = action
            self.resourceType = resourceType
            self.resourceID = resourceID
            self.from = from
            self.to = to
        }
    }

    /// Always `csv`.
    public var format: String
    public var filters: Filters

    public init(format: String, filters: Filters) {
        self.format = format
        self.filters = filters
    }
}
