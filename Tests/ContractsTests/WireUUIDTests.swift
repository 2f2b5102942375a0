import Contracts
import Foundation
import Testing

/// One text form for UUIDs on the wire: lower case, in every body, whatever Foundation's `uuidString` says;
/// either case is read.
@Suite("Contracts: UUIDs on the wire")
struct WireUUIDTests {
    private let id = UUID(uuidString: "51C1D5CD-0B42-4E81-9A3B-6F0E2D1C4B5A")!
    private let organization = UUID(uuidString: "0B422E81-51C1-4D5C-8D2B-7A9C3E4F5061")!

    private func object(_ value: some Encodable) throws -> [String: Any] {
        let data = try ContractJSON.makeEncoder().encode(value)
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    @Test("UUID and optional UUID properties are written in lower case; an absent one is left out")
    func lowercase() throws {
        let account = UserAccount(
            id: id,
            organizationID: organization,
            email: "a@example.ru",
            role: .admin,
            active: true,
            fullName: "A",
            position: nil,
            phone: nil,
            contactEmail: nil,
            createdAt: Date(),
            updatedAt: Date(),
            lastLoginAt: nil
        )
        let written = try object(account)
        #expect(written["id"] as? String == "51c1d5cd-0b42-4e81-9a3b-6f0e2d1c4b5a")
        #expect(written["organization_id"] as? String == "0b422e81-51c1-4d5c-8d2b-7a9c3e4f5061")
        #expect(written["last_login_at"] == nil)

        let envelope = EventEnvelope(
            id: id,
            type: "quote.created",
            source: EventSource(service: "quoting-core", instance: nil),
            organizationID: organization,
            actor: EventActor(userID: id, email: nil, ip: nil, userAgent: nil),
            requestID: nil,
            resource: EventResource(type: "quote", id: "q-1"),
            action: .create
        )
        let event = try object(envelope)
        #expect(event["id"] as? String == id.wireString)
        #expect(event["organization_id"] as? String == organization.wireString)
        #expect((event["actor"] as? [String: Any])?["user_id"] as? String == id.wireString)
    }

    @Test("lists of UUIDs are written in lower case too")
    func list() throws {
        let receipt = try object(IngestionReceipt(accepted: 2, ids: [id, organization]))
        #expect(receipt["ids"] as? [String] == [id.wireString, organization.wireString])
    }

    @Test("either case is read back to the same UUID")
    func reading() throws {
        for text in [id.uuidString, id.wireString] {
            let json = Data(#"{"accepted":1,"ids":["\#(text)"]}"#.utf8)
            let receipt = try ContractJSON.makeDecoder().decode(IngestionReceipt.self, from: json)
            #expect(receipt.ids == [id])
        }
    }
}
