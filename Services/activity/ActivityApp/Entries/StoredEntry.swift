import Contracts
import Foundation
import NIOCore
import ServiceKit

/// An entry as a page reads it: the columns, with the timestamps already formatted by Postgres and the
/// payload still the JSON text Postgres gave. A page renders these straight to JSON, so a payload is never
/// decoded and encoded again (that was most of the time of a 100-entry page).
package struct StoredEntry: Sendable, Equatable {
    var id: UUID
    /// `occurred_at` as RFC 3339 UTC with milliseconds, like `Timestamp.format`.
    var occurredAt: String
    var recordedAt: String
    var organizationID: UUID?
    var actorID: UUID?
    var actorEmail: String?
    var ip: String?
    var userAgent: String?
    var action: String
    var resourceType: String
    var resourceID: String?
    var eventType: String
    var sourceService: String
    var sourceInstance: String?
    var requestID: String?
    /// The payload as JSON text (Postgres' rendering of the stored `jsonb`).
    var payload: String
    /// Where the entry sits in the sort order, for the next page's cursor.
    var cursor: PageCursor

    /// Appends the entry as an `ActivityEntry` JSON object: the keys `ContractJSON` writes, absent optionals
    /// left out, the payload copied as it is.
    func writeJSON(to json: inout JSONWriter) {
        json.beginObject()
        json.field("id", id)
        json.field("occurred_at", occurredAt)
        json.field("recorded_at", recordedAt)
        json.field("organization_id", organizationID)
        if actorID != nil || actorEmail != nil || ip != nil || userAgent != nil {
            json.key("actor")
            json.beginObject()
            json.field("user_id", actorID)
            json.field("email", actorEmail)
            json.field("ip", ip)
            json.field("user_agent", userAgent)
            json.endObject()
        }
        json.field("action", EventAction(rawValue: action)?.rawValue ?? EventAction.other.rawValue)
        json.field("resource_type", resourceType)
        json.field("resource_id", resourceID)
        json.field("event_type", eventType)
        json.key("source")
        json.beginObject()
        json.field("service", sourceService)
        json.field("instance", sourceInstance)
        json.endObject()
        json.field("request_id", requestID)
        json.key("payload")
        json.raw(payload)
        json.endObject()
    }
}

/// One page of the activity log, rendered without Foundation's encoder (see ``StoredEntry``).
package struct ActivityPage: Sendable {
    var items: [StoredEntry]
    var page: Int
    var perPage: Int
    var total: Int
    var totalExact: Bool
    var nextCursor: String?

    /// The page as a `ListPage<ActivityEntry>` JSON body.
    package func json() -> ByteBuffer {
        var json = JSONWriter(capacity: 256 + items.count * 640)
        json.beginObject()
        json.key("items")
        json.beginArray()
        for item in items {
            json.separate()
            item.writeJSON(to: &json)
        }
        json.endArray()
        json.field("page", page)
        json.field("per_page", perPage)
        json.field("total", total)
        json.field("total_exact", totalExact)
        json.field("next_cursor", nextCursor)
        json.endObject()
        return json.buffer
    }
}

extension ActivityPage {
    /// The page of `request` from the rows its query gave (one more than a page when a next page exists) and
    /// the total.
    package init(rows: [StoredEntry], request: PageRequest, total: Int, totalExact: Bool) {
        let items = Array(rows.prefix(request.perPage))
        self.init(
            items: items,
            page: request.page,
            perPage: request.perPage,
            total: total,
            totalExact: totalExact,
            nextCursor: rows.count > request.perPage ? items.last?.cursor.text : nil
        )
    }
}
