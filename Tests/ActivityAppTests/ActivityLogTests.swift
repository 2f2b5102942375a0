import Contracts
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import NIOFoundationEssentialsCompat
import ServiceKit
import TestSupport
import Testing

@testable import ActivityApp

@Suite("Activity log: listing, filters, paging, scoping")
struct ActivityLogTests {
    @Test("numbered pages stop at the first 10,000 rows; deeper pages are a 400 pointing to cursor")
    func deepPages() async throws {
        try await ActivityHarness.with { harness, client in
            let admin = try await harness.token(harness.admin, role: .admin)
            let deepest = try await client.execute(
                uri: "/api/activity-logs?page=100&per_page=100",
                method: .get,
                headers: .authorized(admin)
            )
            #expect(deepest.status == .ok)
            let beyond = try await client.execute(
                uri: "/api/activity-logs?page=101&per_page=100",
                method: .get,
                headers: .authorized(admin)
            )
            #expect(beyond.status == .badRequest)
            #expect(try beyond.decode(Problem.self).detail?.contains("cursor") == true)
        }
    }

    @Test("entries are listed newest first with total, filters narrow them")
    func filters() async throws {
        try await ActivityHarness.with { harness, client in
            let now = Date()
            let envelopes = [
                harness.envelope(
                    type: "quote.created",
                    action: .create,
                    resourceID: "Q-1",
                    occurredAt: now.addingTimeInterval(-300)
                ),
                harness.envelope(
                    type: "quote.updated",
                    action: .update,
                    resourceID: "Q-1",
                    occurredAt: now.addingTimeInterval(-200)
                ),
                harness.envelope(
                    type: "customer.created",
                    action: .create,
                    actor: harness.admin,
                    resourceType: "customer",
                    resourceID: "C-9",
                    occurredAt: now.addingTimeInterval(-100)
                ),
                harness.envelope(
                    type: "quote.deleted",
                    action: .delete,
                    resourceID: "Q-2",
                    occurredAt: now.addingTimeInterval(-86_400 * 3)
                ),
            ]
            try await harness.record(client, envelopes)
            let admin = try await harness.token(harness.admin, role: .admin)

            let all = try await harness.list(client, "", token: admin)
            #expect(all.total == 4)
            #expect(
                all.items.map(\.eventType) == ["customer.created", "quote.updated", "quote.created", "quote.deleted"]
            )
            #expect(all.perPage == 20)
            #expect(all.page == 1)

            #expect(try await harness.list(client, "?action=create", token: admin).total == 2)
            #expect(
                try await harness.list(client, "?resource_type=customer", token: admin).items.map(\.resourceID) == [
                    "C-9"
                ]
            )
            #expect(try await harness.list(client, "?resource_type=quote&resource_id=Q-1", token: admin).total == 2)
            #expect(try await harness.list(client, "?user_id=\(harness.admin.uuidString)", token: admin).total == 1)
            let today = CalendarDay(now)
            #expect(try await harness.list(client, "?from=\(today.adding(days: -1))", token: admin).total == 3)
            #expect(try await harness.list(client, "?to=\(today.adding(days: -2))", token: admin).total == 1)
            let entry = try #require(all.items.first)
            #expect(entry.actor?.ip == "10.0.0.7")
            #expect(entry.source.service == "quoting-core")
            #expect(entry.payload == ["total_amount": "1500.00"])
        }
    }

    @Test("pages and the keyset cursor walk every entry once")
    func paging() async throws {
        try await ActivityHarness.with { harness, client in
            let base = Date().addingTimeInterval(-1000)
            // Pairs share a timestamp, so the order needs the id as a tiebreaker.
            let envelopes = (0..<25).map { index in
                harness.envelope(resourceID: "Q-\(index)", occurredAt: base.addingTimeInterval(Double(index / 2)))
            }
            try await harness.record(client, envelopes)
            let admin = try await harness.token(harness.admin, role: .admin)

            let second = try await harness.list(client, "?page=2&per_page=10", token: admin)
            #expect(second.items.count == 10)
            #expect(second.total == 25)
            let third = try await harness.list(client, "?page=3&per_page=10", token: admin)
            #expect(third.items.count == 5)
            #expect(third.nextCursor == nil)

            var seen: [UUID] = []
            var cursor: String? = nil
            repeat {
                let query = "?per_page=7" + (cursor.map { "&cursor=\($0)" } ?? "")
                let page = try await harness.list(client, query, token: admin)
                seen += page.items.map(\.id)
                cursor = page.nextCursor
            } while cursor != nil
            #expect(seen.count == 25)
            #expect(Set(seen) == Set(envelopes.map(\.id)))
            let byPages = try await harness.list(client, "?per_page=25", token: admin).items.map(\.id)
            #expect(seen == byPages)
        }
    }

    @Test("a manager sees only their own entries; another organization sees none and gets 404 by id")
    func scoping() async throws {
        try await ActivityHarness.with { harness, client in
            let mine = harness.envelope(actor: harness.manager)
            let colleague = harness.envelope(actor: harness.otherManager)
            let foreign = harness.envelope(actor: UUID(), organization: harness.otherOrganization)
            try await harness.record(client, [mine, colleague, foreign])
            let manager = try await harness.token(harness.manager, role: .manager)
            let page = try await harness.list(client, "", token: manager)
            #expect(page.items.map(\.id) == [mine.id])
            #expect(
                try await harness.list(client, "?user_id=\(harness.otherManager.uuidString)", token: manager).total == 0
            )

            let admin = try await harness.token(harness.admin, role: .admin)
            #expect(try await harness.list(client, "", token: admin).total == 2)

            try await client.execute(
                uri: "/api/activity-logs/\(foreign.id.uuidString)",
                method: .get,
                headers: .authorized(admin)
            ) { response in
                #expect(response.status == .notFound)
            }
            try await client.execute(
                uri: "/api/activity-logs/\(colleague.id.uuidString)",
                method: .get,
                headers: .authorized(manager)
            ) { response in
                #expect(response.status == .notFound)
            }
            try await client.execute(
                uri: "/api/activity-logs/\(mine.id.uuidString)",
                method: .get,
                headers: .authorized(manager)
            ) { response in
                #expect(response.status == .ok)
                let entry = try response.decode(ActivityEntry.self)
                #expect(entry.id == mine.id)
            }
            try await client.execute(uri: "/api/activity-logs", method: .get) { response in
                #expect(response.status == .unauthorized)
            }
        }
    }

    @Test("bad query parameters are a 422 naming every one")
    func badQuery() async throws {
        try await ActivityHarness.with { harness, client in
            let admin = try await harness.token(harness.admin, role: .admin)
            let query = "?action=explode&user_id=nope&from=yesterday&per_page=1000&page=0&cursor=%21%21"
            try await client.execute(uri: "/api/activity-logs" + query, method: .get, headers: .authorized(admin)) {
                response in
                #expect(response.status == .unprocessableContent)
                let problem = try response.decode(Problem.self)
                let fields = Set(problem.errors?.map(\.field) ?? [])
                #expect(fields == ["action", "user_id", "from", "per_page", "page", "cursor"])
            }
            try await client.execute(
                uri: "/api/activity-logs?from=2026-05-02&to=2026-05-01",
                method: .get,
                headers: .authorized(admin)
            ) { response in
                #expect(response.status == .unprocessableContent)
            }
            try await client.execute(uri: "/api/activity-logs/not-a-uuid", method: .get, headers: .authorized(admin)) {
                response in
                #expect(response.status == .notFound)
            }
        }
    }
}
