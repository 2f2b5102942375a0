import Foundation

/// One recorded change, as `GET /api/activity-logs` lists it.
public struct ActivityEntry: Codable, Sendable, Equatable {
    /// The id of the event the entry records.
    public var id: UUID
    public var occurredAt: Date
    public var recordedAt: Date
    public var organizationID: UUID?
    public var actor: EventActor?
    public var action: EventAction
    public var resourceType: String
    public var resourceID: String?
    public var eventType: String
    public var source: EventSource
    public var requestID: String?
    public var payload: JSONValue

    enum CodingKeys: String, CodingKey {
        case id
        case occurredAt = "occurred_at"
        case recordedAt = "recorded_at"
        case organizationID = "organization_id"
        case actor, action
        case resourceType = "resource_type"
        case resourceID = "resource_id"
        case eventType = "event_type"
        case source
        case requestID = "request_id"
        case payload
    }

    public init(
        id: UUID,
        occurredAt: Date,
        recordedAt: Date,
        organizationID: UUID?,
        actor: EventActor?,
        action: EventAction,
        resourceType: String,
        resourceID: String?,
        eventType: String,
        source: EventSource,
        requestID: String?,
        payload: JSONValue
    ) {
        self.id = id
        self.occurredAt = occurredAt
        self.recordedAt = recordedAt
        self.organizationID = organizationID
        self.actor = actor
        self.action = action
        self.resourceType = resourceType
        self.resourceID = resourceID
        self.eventType = eventType
        self.source = source
        self.requestID = requestID
        self.payload = payload
    }
}

/// The answer to an ingestion request: how many envelopes were accepted for recording.
public struct IngestionReceipt: Codable, Sendable, Equatable {
    public var accepted: Int
    /// The ids of the accepted envelopes, in request order; an id sent before is accepted again and recorded once.
    public var ids: [UUID]

    public init(accepted: Int, ids: [UUID]) {
        self.accepted = accepted
        self.ids = ids
    }

    private enum CodingKeys: String, CodingKey {
        case accepted, ids
    }

    /// The ids in their wire form (lower case), as every UUID on the wire.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(accepted, forKey: .accepted)
        try container.encode(ids.map(\.wireString), forKey: .ids)
    }
}
