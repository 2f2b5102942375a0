import Contracts
import Foundation
import Hummingbird
import ServiceKit

/// Which entries a list or an export covers: always one organization, and for a manager only their own
/// entries, whatever the query says.
package struct ActivityFilter: Sendable, Equatable {
    var organizationID: UUID
    var actorID: UUID?
    var action: EventAction?
    var resourceType: String?
    var resourceID: String?
    var from: Date?
    var to: Date?

    /// Reads the activity log's filters (`action`, `resource_type`, `resource_id`, `user_id`, `from`, `to`)
    /// and scopes them to the caller.
    init(query: inout QueryParameters, identity: Identity) {
        organizationID = identity.organizationID
        action = query.choice("action", as: EventAction.self)
        resourceType = query.string("resource_type", maxLength: 100)
        resourceID = query.string("resource_id", maxLength: 200)
        from = query.instant("from")
        to = query.instant("to", dateMeansEnd: true)
        let requestedUser = query.uuid("user_id")
        if let from, let to, from >= to {
            query.reject("to", "must be after from")
        }
        switch identity.role {
        case .admin:
            actorID = requestedUser
        case .manager:
            // A manager sees their own entries; asking for someone else's finds none.
            actorID = identity.userID
            if let requestedUser, requestedUser != identity.userID {
                actorID = UUID(uuid: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0))
            }
        }
    }

    package init(
        organizationID: UUID,
        actorID: UUID? = nil,
        action: EventAction? = nil,
        resourceType: String? = nil,
        resourceID: String? = nil,
        from: Date? = nil,
        to: Date? = nil
    ) {
        self.organizationID = organizationID
        self.actorID = actorID
        self.action = action
        self.resourceType = resourceType
        self.resourceID = resourceID
        self.from = from
        self.to = to
    }

    /// The filters as recorded in the export event's payload.
    var exported: ActivityExported.Filters {
        ActivityExported.Filters(
            userID: actorID,
            action: action,
            resourceType: resourceType,
            resourceID: resourceID,
            from: from,
            to: to
        )
    }
}
