import Contracts
import Foundation
import NIOCore
import NIOFoundationEssentialsCompat
import ServiceKit
import Testing

@testable import ActivityApp

@Suite("Activity entries rendered to JSON without Foundation's encoder")
struct EntryJSONTests {
    static let full = StoredEntry(
        id: UUID(uuidString: "9F1C2D3E-4B5A-4C6D-8E7F-0A1B2C3D4E5F")!,
        occurredAt: "2026-04-25T10:00:00.123Z",
        recordedAt: "2026-04-25T10:00:01.000Z",
        organizationID: UUID(uuidString: "00000000-0000-4000-8000-00000000B0B0")!,
        actorID: UUID(uuidString: "00000000-0000-4000-8000-000000000003")!,
        actorEmail: "мария@example.ru",
        ip: "10.0.0.1",
        userAgent: "Mozilla/5.0 \"quoted\" back\\slash\ttab\nline\u{1}control/slash",
        action: "update",
        resourceType: "quote",
        resourceID: "Q-7",
        eventType: "quote.updated",
        sourceService: "core",
        sourceInstance: "core-1",
        requestID: "req-1",
        payload: #"{"note": "Коммерческое предложение", "total": 12.5, "items": [1, {"a": null}]}"#,
        cursor: PageCursor(microseconds: 1_777_111_200_123_000, id: UUID())
    )

    static let sparse = StoredEntry(
        id: UUID(),
        occurredAt: "2026-04-25T10:00:00.000Z",
        recordedAt: "2026-04-25T10:00:00.500Z",
        organizationID: nil,
        actorID: nil,
        actorEmail: nil,
        ip: nil,
        userAgent: nil,
        action: "renamed-later",
        resourceType: "customer",
        resourceID: nil,
        eventType: "customer.created",
        sourceService: "core",
        sourceInstance: nil,
        requestID: nil,
        payload: "{}",
        cursor: PageCursor(microseconds: 0, id: UUID())
    )

    static func rendered(_ entry: StoredEntry) -> Data {
        var json = JSONWriter(capacity: 64)
        entry.writeJSON(to: &json)
        return Data(buffer: json.buffer)
    }

    @Test("an entry decodes as the ActivityEntry contract", arguments: [full, sparse])
    func decodes(entry: StoredEntry) throws {
        let decoded = try ContractJSON.makeDecoder().decode(ActivityEntry.self, from: Self.rendered(entry))
        #expect(decoded == entry.entry)
    }

    @Test("the JSON is the same document Foundation's encoder writes for the contract", arguments: [full, sparse])
    func sameDocument(entry: StoredEntry) throws {
        let ours = try JSONSerialization.jsonObject(with: Self.rendered(entry)) as? NSDictionary
        let foundation =
            try JSONSerialization.jsonObject(
                with: ContractJSON.makeEncoder().encode(entry.entry)
            ) as? NSDictionary
        #expect(ours != nil)
        #expect(ours == foundation)
    }

    @Test("absent optionals are left out, not written as null")
    func absentOptionals() throws {
        let text = String(decoding: Self.rendered(Self.sparse), as: UTF8.self)
        #expect(!text.contains("null"))
        #expect(!text.contains("actor"))
        #expect(text.contains(#""action":"other""#))
    }

    @Test("a page decodes as ListPage<ActivityEntry>, cursor and all")
    func page() throws {
        let page = ActivityPage(
            items: [Self.full, Self.sparse],
            page: 2,
            perPage: 2,
            total: 10_001,
            totalExact: false,
            nextCursor: "abc"
        )
        let decoded = try ContractJSON.makeDecoder().decode(
            ListPage<ActivityEntry>.self,
            from: Data(buffer: page.json())
        )
        #expect(decoded.items == [Self.full.entry, Self.sparse.entry])
        #expect(decoded.page == 2 && decoded.perPage == 2 && decoded.total == 10_001)
        #expect(!decoded.totalExact && decoded.nextCursor == "abc")
        let empty = ActivityPage(items: [], page: 1, perPage: 20, total: 0, totalExact: true, nextCursor: nil)
        #expect(
            String(buffer: empty.json()) == #"{"items":[],"page":1,"per_page":20,"total":0,"total_exact":true}"#
        )
    }

    @Test("an ingestion receipt decodes as the contract, ids in order")
    func receipt() throws {
        let ids = (0..<3).map { _ in UUID() }
        let decoded = try ContractJSON.makeDecoder().decode(
            IngestionReceipt.self,
            from: Data(buffer: IngestionController.receipt(ids))
        )
        #expect(decoded == IngestionReceipt(accepted: 3, ids: ids))
        // The same document as Foundation's; compared as documents, since its key order varies from process to
        // process.
        let ours =
            try JSONSerialization.jsonObject(with: Data(buffer: IngestionController.receipt(ids))) as? NSDictionary
        let foundation =
            try JSONSerialization.jsonObject(
                with: ContractJSON.makeEncoder().encode(IngestionReceipt(accepted: 3, ids: ids))
            ) as? NSDictionary
        #expect(ours != nil)
        #expect(ours == foundation)
    }
}
