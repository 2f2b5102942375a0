import Contracts
import Foundation

/// An envelope as an outside system sends it, decoded only as far as validation needs: every field of
/// `EventEnvelope`, but the payload is only checked to be a JSON object and measured, never walked, since the
/// stored copy is the bytes as sent.
package struct IncomingEnvelope: Decodable, Equatable {
    var id: UUID
    var type: String
    var version: Int
    var occurredAt: Date
    var source: EventSource
    var organizationID: UUID?
    var actor: EventActor?
    var requestID: String?
    var resource: EventResource
    var action: EventAction
    var payloadIsObject: Bool
    /// The payload's size in bytes as sent. The reader of the bytes sets it (``EnvelopeScanner``, or
    /// ingestion after `JSONDecoder`, which cannot tell it).
    var payloadSize = 0
    /// Members the envelope, its `source`, `actor` or `resource` do not define (`extra`, `source.region`):
    /// refused, as the envelope's JSON Schema says (`additionalProperties: false`), so that a misspelt member
    /// never passes silently. Only the decoding path finds them: the scanner leaves such envelopes to it.
    var unknownMembers: [String] = []

    private enum CodingKeys: String, CodingKey {
        case id, type, version
        case occurredAt = "occurred_at"
        case source
        case organizationID = "organization_id"
        case actor
        case requestID = "request_id"
        case resource, action, payload
    }

    private struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    init(
        id: UUID,
        type: String,
        version: Int,
        occurredAt: Date,
        source: EventSource,
        organizationID: UUID?,
        actor: EventActor?,
        requestID: String?,
        resource: EventResource,
        action: EventAction,
        payloadIsObject: Bool,
        payloadSize: Int
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
        self.payloadIsObject = payloadIsObject
        self.payloadSize = payloadSize
    }

    package init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decode(UUID.self, forKey: .id)
        type = try container.decode(String.self, forKey: .type)
        version = try container.decode(Int.self, forKey: .version)
        occurredAt = try container.decode(Date.self, forKey: .occurredAt)
        source = try container.decode(EventSource.self, forKey: .source)
        organizationID = try container.decodeIfPresent(UUID.self, forKey: .organizationID)
        actor = try container.decodeIfPresent(EventActor.self, forKey: .actor)
        requestID = try container.decodeIfPresent(String.self, forKey: .requestID)
        resource = try container.decode(EventResource.self, forKey: .resource)
        action = try container.decode(EventAction.self, forKey: .action)
        guard container.contains(.payload) else {
            throw DecodingError.keyNotFound(
                CodingKeys.payload,
                .init(codingPath: container.codingPath, debugDescription: "payload is required")
            )
        }
        payloadIsObject = (try? container.nestedContainer(keyedBy: AnyKey.self, forKey: .payload)) != nil
        unknownMembers = try Self.unknownMembers(in: decoder)
    }

    /// The members each object of the envelope has that its shape (``EventEnvelope/members``) does not
    /// define, as field paths.
    private static func unknownMembers(in decoder: any Decoder) throws -> [String] {
        let members = try decoder.container(keyedBy: AnyKey.self)
        var unknown: [String] = []
        for (object, names) in EventEnvelope.members.sorted(by: { $0.key < $1.key }) {
            var keys = members.allKeys
            var prefix = ""
            if !object.isEmpty {
                guard let key = AnyKey(stringValue: object),
                    let nested = try? members.nestedContainer(keyedBy: AnyKey.self, forKey: key)
                else { continue }
                keys = nested.allKeys
                prefix = object + "."
            }
            unknown += keys.map(\.stringValue).filter { !names.contains($0) }.sorted().map { prefix + $0 }
        }
        return unknown
    }
}
