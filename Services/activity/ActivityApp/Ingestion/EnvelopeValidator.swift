import Contracts
import Foundation
import ServiceKit

/// Checks envelopes from outside systems against the rules of `Schemas/event-envelope.schema.json` that the
/// Swift type alone does not enforce (formats and lengths).
enum EnvelopeValidator {
    /// Every problem of `envelope`, with field names prefixed by `prefix` (`[3].` in a batch).
    static func problems(_ envelope: EventEnvelope, prefix: String) -> [FieldError] {
        var problems: [FieldError] = []
        func check(_ condition: Bool, _ field: String, _ message: String) {
            if !condition { problems.append(FieldError(field: prefix + field, message: message)) }
        }
        check(
            envelope.type.count <= 100 && envelope.type.wholeMatch(of: /[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+/) != nil,
            "type",
            "must look like domain.event_name (lowercase, dot-separated, at most 100 characters)"
        )
        check(envelope.version >= 1, "version", "must be 1 or more")
        check((1...100).contains(envelope.source.service.count), "source.service", "must be 1 to 100 characters")
        check((envelope.source.instance?.count ?? 0) <= 200, "source.instance", "must be at most 200 characters")
        check((envelope.actor?.email?.count ?? 0) <= 320, "actor.email", "must be at most 320 characters")
        check((envelope.actor?.ip?.count ?? 0) <= 64, "actor.ip", "must be at most 64 characters")
        check((envelope.actor?.userAgent?.count ?? 0) <= 1000, "actor.user_agent", "must be at most 1000 characters")
        check((envelope.requestID?.count ?? 0) <= 200, "request_id", "must be at most 200 characters")
        check((1...100).contains(envelope.resource.type.count), "resource.type", "must be 1 to 100 characters")
        check((envelope.resource.id?.count ?? 0) <= 200, "resource.id", "must be at most 200 characters")
        check(envelope.payload.object != nil, "payload", "must be a JSON object")
        let year = Calendar(identifier: .gregorian).component(.year, from: envelope.occurredAt)
        check((2000...2100).contains(year), "occurred_at", "must be a time between the years 2000 and 2100")
        return problems
    }
}
