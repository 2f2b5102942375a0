import Contracts
import Foundation
import Hummingbird
import ServiceKit

/// The admin review queue: `GET /api/admin/feedback` (filtered, newest first, paged), `GET …/counts`,
/// `GET …/{id}` and `PATCH …/{id}`. Admins only (a manager gets 403); every query is scoped to the admin's
/// organization, so another organization's submission is 404.
struct FeedbackReviewController: Sendable {
    let database: Database
    let store: FeedbackStore
    let events: EventRecorder

    /// Registers the routes, for admins only.
    func addRoutes(to router: Router<ServiceRequestContext>) {
        let group = router.group("api/admin/feedback").add(middleware: RequireRoleMiddleware(.admin))
        group.get(use: list)
        group.get("counts", use: counts)
        group.get("{id}", use: show)
        group.patch("{id}", use: update)
    }

    /// The organization's submissions matching `status`, `category`, `from`, `to` and `q`, with the total.
    @Sendable func list(_ request: Request, context: ServiceRequestContext) async throws -> ListPage<FeedbackItem> {
        let identity = try context.requireIdentity()
        var query = QueryParameters(request)
        let filter = FeedbackFilter(query: &query, organizationID: identity.organizationID)
        let page = PageRequest(&query)
        try query.validate()
        return try await database.withConnection { connection in
            try await store.page(filter, page, on: connection)
        }
    }

    /// How many submissions are in each status: the admin menu's badge.
    @Sendable func counts(_ request: Request, context: ServiceRequestContext) async throws -> FeedbackStatusCounts {
        let identity = try context.requireIdentity()
        return try await database.withConnection { connection in
            try await store.counts(organizationID: identity.organizationID, on: connection)
        }
    }

    /// One submission with everything the reviewers see.
    @Sendable func show(_ request: Request, context: ServiceRequestContext) async throws -> FeedbackItem {
        let identity = try context.requireIdentity()
        let id = try Self.submissionID(context)
        return try await database.withConnection { connection in
            guard let item = try await store.item(id, organizationID: identity.organizationID, on: connection) else {
                throw FeedbackError.submissionNotFound
            }
            return item
        }
    }

    /// Moves the status along its allowed transitions (409 otherwise) and sets or clears the admin note.
    /// Closing (`resolved`, `wont_fix`) records who and when; reopening clears them.
    @Sendable func update(_ request: Request, context: ServiceRequestContext) async throws -> FeedbackItem {
        let identity = try context.requireIdentity()
        let id = try Self.submissionID(context)
        let change = try await request.decode(as: ReviewBody.self, context: context)

        return try await database.withTransaction { connection in
            guard
                var item = try await store.item(
                    id,
                    organizationID: identity.organizationID,
                    forUpdate: true,
                    on: connection
                )
            else { throw FeedbackError.submissionNotFound }
            let before = item
            var resolution = FeedbackStore.Resolution.keep
            if let status = change.status, status != item.status {
                guard item.status.next.contains(status) else {
                    throw FeedbackError.transitionRefused(from: item.status, to: status)
                }
                item.status = status
                resolution = status.isClosed ? .close(by: identity.userID) : .reopen
            }
            item.adminNote = change.adminNote.applied(to: item.adminNote)
            guard item != before else { return item }
            let updated = try await store.update(item, resolution: resolution, on: connection)
            try await events.record(
                FeedbackUpdated(changes: ChangeSet.changes(before: before.auditFields, after: updated.auditFields)),
                resource: EventResource(type: "feedback", id: updated.id.wireString),
                context: context,
                on: connection
            )
            return updated
        }
    }

    /// The `{id}` of the path; one that is not a UUID names no submission (404).
    static func submissionID(_ context: ServiceRequestContext) throws -> UUID {
        guard let id = context.parameters.get("id", as: UUID.self) else { throw FeedbackError.submissionNotFound }
        return id
    }
}
