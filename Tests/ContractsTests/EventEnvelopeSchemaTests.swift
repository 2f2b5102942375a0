import Contracts
import Foundation
import Testing

/// `Schemas/event-envelope.schema.json` is what systems outside this repository publish by; the Swift type is
/// what the services decode with. These tests keep the two describing the same document.
@Suite("Contracts: the event envelope and its JSON Schema")
struct EventEnvelopeSchemaTests {
    static let schemaURL = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Shared/Contracts/Schemas/event-envelope.schema.json")

    static func schema() throws -> [String: Any] {
        let data = try Data(contentsOf: schemaURL)
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    static let sample = EventEnvelope(
        type: "quote.status_changed",
        source: EventSource(service: "quoting-core", instance: "core-2"),
        organizationID: UUID(),
        actor: EventActor(userID: UUID(), email: "m@example.ru", ip: "10.1.2.3", userAgent: "Mozilla/5.0"),
        requestID: "r-42",
        resource: EventResource(type: "quote", id: "Q-2026-0042"),
        action: .update,
        payload: ["before": ["status": "sent"], "after": ["status": "accepted"], "total_amount": "1250.50"]
    )

    static func encoded(_ envelope: EventEnvelope) throws -> [String: Any] {
        let data = try ContractJSON.makeEncoder().encode(envelope)
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    @Test("the schema lists exactly the properties the Swift type writes, and requires its non-optional ones")
    func properties() throws {
        let schema = try Self.schema()
        let properties = try #require(schema["properties"] as? [String: Any])
        let written = try Self.encoded(Self.sample)
        #expect(Set(properties.keys) == Set(written.keys))
        let required = Set(try #require(schema["required"] as? [String]))
        #expect(required == ["id", "type", "version", "occurred_at", "source", "resource", "action", "payload"])
        #expect(schema["additionalProperties"] as? Bool == false)

        for (object, type) in [
            ("source", EventSource.self as Any.Type), ("actor", EventActor.self), ("resource", EventResource.self),
        ] {
            let nested = try #require(
                (properties[object] as? [String: Any])?["properties"] as? [String: Any],
                "\(type)"
            )
            let writtenNested = try #require(written[object] as? [String: Any])
            #expect(Set(nested.keys) == Set(writtenNested.keys), "\(object)")
            #expect(Set(nested.keys) == EventEnvelope.members[object], "\(object): the declaration")
            #expect((properties[object] as? [String: Any])?["additionalProperties"] as? Bool == false, "\(object)")
        }
        #expect(Set(properties.keys) == EventEnvelope.members[""], "the declaration")
    }

    @Test("the schema's actions are the Swift enum's cases")
    func actions() throws {
        let properties = try #require(try Self.schema()["properties"] as? [String: Any])
        let actions = try #require((properties["action"] as? [String: Any])?["enum"] as? [String])
        #expect(actions == EventAction.allCases.map(\.rawValue))
    }

    @Test("every written value has the JSON type the schema declares")
    func types() throws {
        let properties = try #require(try Self.schema()["properties"] as? [String: Any])
        for (name, value) in try Self.encoded(Self.sample) {
            let declared = (properties[name] as? [String: Any])?["type"]
            let allowed = (declared as? [String]) ?? [(declared as? String) ?? ""]
            let actual: String =
                switch value {
                case is String: "string"
                case is [String: Any]: "object"
                case is NSNumber: "integer"
                default: "null"
                }
            #expect(allowed.contains(actual), "\(name) is \(actual), schema says \(allowed)")
        }
    }

    @Test("a document written by an outside system from the schema decodes, and round-trips exactly")
    func outsideDocument() throws {
        let document = """
            {"id":"0192f3a4-5b6c-7d8e-9f01-23456789abcd","type":"customer.created","version":1,
             "occurred_at":"2026-04-25T09:30:00+03:00","source":{"service":"quoting-core"},
             "organization_id":null,"actor":null,"resource":{"type":"customer","id":"C-7"},
             "action":"create","payload":{"name":"ООО \\"Ромашка\\"","inn":"7707083893","credit":1234567.891}}
            """
        let envelope = try ContractJSON.makeDecoder().decode(EventEnvelope.self, from: Data(document.utf8))
        #expect(envelope.type == "customer.created")
        #expect(envelope.occurredAt == Timestamp.parse("2026-04-25T06:30:00Z"))
        #expect(envelope.payload["credit"] == .number(Decimal(string: "1234567.891")!))
        let again = try ContractJSON.makeDecoder().decode(
            EventEnvelope.self,
            from: try ContractJSON.makeEncoder().encode(envelope)
        )
        #expect(again == envelope)
    }

    @Test("event ids are version 7 and sort by time")
    func eventIDs() {
        let earlier = EventID.make(at: Date(timeIntervalSince1970: 1_700_000_000))
        let later = EventID.make(at: Date(timeIntervalSince1970: 1_700_000_001))
        #expect(earlier.wireString < later.wireString)
        #expect(Array(earlier.uuidString)[14] == "7")
        #expect(EventID.timestamp(of: earlier) == Date(timeIntervalSince1970: 1_700_000_000))
    }
}

@Suite("Contracts: quoting core payloads and their JSON Schemas")
struct QuotingPayloadSchemaTests {
    static func properties(_ file: String) throws -> Set<String> {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Shared/Contracts/Schemas/\(file)")
        let schema = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        return Set(try #require(schema["properties"] as? [String: Any]).keys)
    }

    static func written(_ value: some Encodable) throws -> Set<String> {
        let object =
            try JSONSerialization.jsonObject(with: try ContractJSON.makeEncoder().encode(value)) as? [String: Any]
        return Set(try #require(object).keys)
    }

    @Test("the customer schema names exactly the Swift payload's fields")
    func customer() throws {
        let payload = CustomerEventPayload(id: "c", name: "n", inn: "7707083893", createdAt: Date(), version: 1)
        #expect(try Self.properties("customer-event.schema.json") == Self.written(payload))
    }

    @Test("the quote schema names exactly the Swift payload's fields, and its statuses")
    func quote() throws {
        let payload = QuoteEventPayload(
            id: "q",
            number: "1",
            customerID: "c",
            managerID: "m",
            status: .accepted,
            totalAmount: "1.00",
            currency: "RUB",
            quoteDate: "2026-04-25",
            acceptedAt: Date(),
            version: 1
        )
        #expect(try Self.properties("quote-event.schema.json") == Self.written(payload))
        let document = #"{"id":"q1","status":"accepted","total_amount":"125000.50","currency":"USD","version":3}"#
        let decoded = try ContractJSON.makeDecoder().decode(QuoteEventPayload.self, from: Data(document.utf8))
        #expect(decoded.status == .accepted)
        #expect(decoded.totalAmount == "125000.50")
    }
}
