import Foundation

/// The envelope of every event, published on the Redis stream `events` by the services' outbox relays or
/// posted to `POST /api/activity/events` by systems outside this repository. `Schemas/event-envelope.schema.json`
/// describes the same shape for them; a test keeps the two in step.
public struct EventEnvelope: Codable, Sendable, Equatable {
    /// Unique, time-ordered (UUID v7); consumers apply each id once.
    public var id: UUID
    /// `<domain>.<what happened>`: `users.profile_updated`, `quote.created`, `rates.published`.
    public var type: String
    /// Version of `payload`'s shape for this `type`, starting at 1.
    public var version: Int
    /// When the change happened.
    public var occurredAt: Date
    /// Which service and replica produced the event.
    public var source: EventSource
    /// The organization the change belongs to; nil for platform-wide events (exchange rates).
    public var organizationID: UUID?
    /// Who made the change; nil for changes made by the system itself.
    public var actor: EventActor?
    /// The request that caused the change, when there was one.
    public var requestID: String?
    /// What was changed.
    public var resource: EventResource
    /// The kind of change.
    public var action: EventAction
    /// What changed (a JSON object): before/after of the changed fields, never a secret.
    public var payload: JSONValue

    enum CodingKeys: String, CodingKey, CaseIterable {
        case id, type, version
        case occurredAt = "occurred_at"
        case source
        case organizationID = "organization_id"
        case actor
        case requestID = "request_id"
        case resource, action, payload
    }

    public init(
        id: UUID = EventID.make(),
        type: String,
        version: Int = 1,
        occurredAt: Date = Date(),
        source: EventSource,
        organizationID: UUID?,
        actor: EventActor?,
        requestID: String?,
        resource: EventResource,
        action: EventAction,
        payload: JSONValue = [:]
    ) {
        self.id = id
        self.type = type
        self.version = version
        self.occurredAt = occurredAt
        self.source = source
        self.organizationID = organizationID
        self.actor = actor
        self.requestID = requestID
        self.resource = resource
        self.action = action
        self.payload = payload
    }
}

extension EventEnvelope {
    /// The members of an envelope (key `""`) and of its `source`, `actor` and `resource` objects, as written on
    /// the wire: the one declaration of the envelope's shape. Ingestion refuses any other member by it, and
    /// tests hold the JSON Schema, ingestion's scanner and the activity log's columns to it.
    public static let members: [String: Set<String>] = [
        "": Set(CodingKeys.allCases.map(\.stringValue)),
        "source": Set(EventSource.CodingKeys.allCases.map(\.stringValue)),
        "actor": Set(EventActor.CodingKeys.allCases.map(\.stringValue)),
        "resource": Set(EventResource.CodingKeys.allCases.map(\.stringValue)),
    ]
}

/// The producer of an event.
public struct EventSource: Codable, Sendable, Equatable {
    /// The service (`users`) or outside system (`quoting-core`).
    public var service: String
    /// The replica, when known.
    public var instance: String?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case service, instance
    }

    public init(service: String, instance: String?) {
        self.service = service
        self.instance = instance
    }
}

/// The person behind a change.
public struct EventActor: Codable, Sendable, Equatable {
    public var userID: UUID?
    public var email: String?
    public var ip: String?
    public var userAgent: String?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case userID = "user_id"
        case email, ip
        case userAgent = "user_agent"
    }

    public init(userID: UUID?, email: String?, ip: String?, userAgent: String?) {
        self.userID = userID
        self.email = email
        self.ip = ip
        self.userAgent = userAgent
    }
}

/// The changed resource.
public struct EventResource: Codable, Sendable, Equatable {
    /// `user`, `organization`, `feedback`, `quote`, `customer`, `exchange_rates`, `activity_export`, …
    public var type: String
    /// The resource's id, as text (a UUID, a date, a number).
    public var id: String?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case type, id
    }

    public init(type: String, id: String?) {
        self.type = type
        self.id = id
    }
}

/// The kind of change an event records.
public enum EventAction: String, Codable, Sendable, CaseIterable {
    case create
    case update
    case delete
    case read
    case other
}

extension EventEnvelope {
    /// The stream every durable event is published on.
    public static let stream = "events"
    /// Where entries that cannot be applied end up, with the reason.
    public static let deadLetterStream = "events.dead"
}
