import Contracts
import Foundation

@testable import ActivityApp

extension StoredEntry {
    /// The entry in the shape of the `ActivityEntry` contract: the oracle `writeJSON` is checked against.
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
}
