import Contracts
import Foundation
import ServiceKit

/// Checks envelopes from outside systems against the rules of `Schemas/event-envelope.schema.json` that the
/// Swift type alone does not enforce (formats and lengths).
enum EnvelopeValidator {
    /// Every problem of `envelope`, with field names prefixed by `prefix` (`[3].` in a batch).
    static func problems(_ envelope: IncomingEnvelope, prefix: String) -> [FieldError] {
        var problems: [FieldError] = []
        func check(_ condition: Bool, _ field: String, _ message: String) {
            if !condition { problems.append(FieldError(field: prefix + field, message: message)) }
        }
        check(
            isEventType(envelope.type),
            "type",
            "must look like domain.event_name (lowercase, dot-separated, at most 100 characters)"
        )
        check(envelope.version >= 1, "version", "must be 1 or more")
        for member in envelope.unknownMembers {
            problems.append(FieldError(field: prefix + member, message: "is not a member of an event envelope"))
        }
        check((1...100).contains(envelope.source.service.count), "source.service", "must be 1 to 100 characters")
        check((envelope.source.instance?.count ?? 0) <= 200, "source.instance", "must be at most 200 characters")
        check((envelope.actor?.email?.count ?? 0) <= 320, "actor.email", "must be at most 320 characters")
        check((envelope.actor?.ip?.count ?? 0) <= 64, "actor.ip", "must be at most 64 characters")
        check((envelope.actor?.userAgent?.count ?? 0) <= 1000, "actor.user_agent", "must be at most 1000 characters")
        check((envelope.requestID?.count ?? 0) <= 200, "request_id", "must be at most 200 characters")
        check((1...100).contains(envelope.resource.type.count), "resource.type", "must be 1 to 100 characters")
        check((envelope.resource.id?.count ?? 0) <= 200, "resource.id", "must be at most 200 characters")
        check(envelope.payloadIsObject, "payload", "must be a JSON object")
        let year = Calendar(identifier: .gregorian).component(.year, from: envelope.occurredAt)
        check((2000...2100).contains(year), "occurred_at", "must be a time between the years 2000 and 2100")
        return problems
    }

    /// `domain.event_name`: two or more dot-separated parts, each a lowercase letter then letters, digits or
    /// underscores (the schema's pattern, checked by hand: this runs for every ingested envelope).
    static func isEventType(_ type: String) -> Bool {
        let bytes = Array(type.utf8)
        guard bytes.count <= 100 else { return false }
        var parts = 0
        var atPartStart = true
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"):
                if atPartStart { parts += 1 }
                atPartStart = false
            case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"):
                if atPartStart { return false }
            case UInt8(ascii: "."):
                if atPartStart { return false }
                atPartStart = true
            default:
                return false
            }
        }
        return parts >= 2 && !atPartStart
    }
}
