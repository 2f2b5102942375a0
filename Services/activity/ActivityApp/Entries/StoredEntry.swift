import Contracts
import Foundation
import NIOCore

/// An entry as a page reads it: the columns, with the timestamps already formatted by Postgres and the
/// payload still the JSON text Postgres gave. A page renders these straight to JSON, so a payload is never
/// decoded and encoded again (that was most of the time of a 100-entry page).
struct StoredEntry: Sendable, Equatable {
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
    var cursor: ActivityCursor

    /// The entry in the shape of the `ActivityEntry` contract.
    var entry: ActivityEntry {
        let hasActor = actorID != nil || actorEmail != nil || ip != nil || userAgent != nil
        return ActivityEntry(
            id: id,
            occurredAt: Timestamp.parse(occurredAt) ?? Date(timeIntervalSince1970: 0),
            recordedAt: Timestamp.parse(recordedAt) ?? Date(timeIntervalSince1970: 0),
            organizationID: organizationID,
            actor: hasActor ? EventActor(userID: actorID, email: actorEmail, ip: ip, userAgent: userAgent) : nil,
            action: EventAction(rawValue: action) ?? .other,
            resourceType: resourceType,
            resourceID: resourceID,
            eventType: eventType,
            source: EventSource(service: sourceService, instance: sourceInstance),
            requestID: requestID,
            payload: (try? ContractJSON.makeDecoder().decode(JSONValue.self, from: Data(payload.utf8))) ?? [:]
        )
    }

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
struct ActivityPage: Sendable {
    var items: [StoredEntry]
    var page: Int
    var perPage: Int
    var total: Int
    var totalExact: Bool
    var nextCursor: String?

    /// The page as a `ListPage<ActivityEntry>` JSON body.
    func json() -> ByteBuffer {
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

/// Writes compact JSON into a buffer, as `ContractJSON`'s encoder would: strings escaped as JSON requires
/// (quote, backslash, control characters; slashes and non-ASCII text left as they are).
struct JSONWriter {
    private(set) var buffer: ByteBuffer
    /// Whether the next member or element needs a comma before it.
    private var needsComma = false

    init(capacity: Int) {
        buffer = ByteBuffer()
        buffer.reserveCapacity(capacity)
    }

    mutating func beginObject() {
        buffer.writeInteger(UInt8(ascii: "{"))
        needsComma = false
    }

    mutating func endObject() {
        buffer.writeInteger(UInt8(ascii: "}"))
        needsComma = true
    }

    mutating func beginArray() {
        buffer.writeInteger(UInt8(ascii: "["))
        needsComma = false
    }

    mutating func endArray() {
        buffer.writeInteger(UInt8(ascii: "]"))
        needsComma = true
    }

    /// Writes the comma before an array element when one is due.
    mutating func separate() {
        if needsComma { buffer.writeInteger(UInt8(ascii: ",")) }
        needsComma = false
    }

    mutating func key(_ name: StaticString) {
        separate()
        buffer.writeInteger(UInt8(ascii: "\""))
        buffer.writeStaticString(name)
        buffer.writeStaticString("\":")
        needsComma = false
    }

    /// Copies `json`, already valid JSON, as a value.
    mutating func raw(_ json: String) {
        buffer.writeString(json)
        needsComma = true
    }

    mutating func field(_ name: StaticString, _ value: String?) {
        guard let value else { return }
        key(name)
        string(value)
    }

    mutating func field(_ name: StaticString, _ value: UUID?) {
        guard let value else { return }
        key(name)
        buffer.writeInteger(UInt8(ascii: "\""))
        buffer.writeString(value.uuidString)
        buffer.writeInteger(UInt8(ascii: "\""))
        needsComma = true
    }

    mutating func field(_ name: StaticString, _ value: Int) {
        key(name)
        buffer.writeString(String(value))
        needsComma = true
    }

    mutating func field(_ name: StaticString, _ value: Bool) {
        key(name)
        buffer.writeStaticString(value ? "true" : "false")
        needsComma = true
    }

    mutating func string(_ value: String) {
        buffer.writeInteger(UInt8(ascii: "\""))
        var value = value
        value.withUTF8 { bytes in
            var start = 0
            for index in bytes.indices {
                let byte = bytes[index]
                guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
                buffer.writeBytes(UnsafeBufferPointer(rebasing: bytes[start..<index]))
                switch byte {
                case UInt8(ascii: "\""): buffer.writeStaticString("\\\"")
                case UInt8(ascii: "\\"): buffer.writeStaticString("\\\\")
                case 0x0A: buffer.writeStaticString("\\n")
                case 0x0D: buffer.writeStaticString("\\r")
                case 0x09: buffer.writeStaticString("\\t")
                case 0x08: buffer.writeStaticString("\\b")
                case 0x0C: buffer.writeStaticString("\\f")
                default:
                    let hex = Array("0123456789abcdef".utf8)
                    buffer.writeStaticString("\\u00")
                    buffer.writeInteger(hex[Int(byte >> 4)])
                    buffer.writeInteger(hex[Int(byte & 0x0F)])
                }
                start = index + 1
            }
            buffer.writeBytes(UnsafeBufferPointer(rebasing: bytes[start..<bytes.count]))
        }
        buffer.writeInteger(UInt8(ascii: "\""))
        needsComma = true
    }
}
