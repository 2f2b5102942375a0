import Contracts
import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import ServiceKit

/// `POST /api/feedback` and `GET /api/feedback/mine`: the floating feedback button's backend, for any
/// signed-in user. The submitter's views leave out the reviewers' internal fields.
struct FeedbackController: Sendable {
    let database: Database
    let store: FeedbackStore
    let events: EventRecorder

    /// An identical message from the same user within this window is answered with the earlier submission.
    static let duplicateWindow: Duration = .seconds(600)

    /// Registers the routes, for signed-in callers of any role.
    func addRoutes(to router: Router<ServiceRequestContext>) {
        let group = router.group("api/feedback").add(middleware: RequireRoleMiddleware())
        group.get("mine", use: mine)
        group.post(use: submit)
    }

    /// Records a submission (201), or answers with the earlier one (200) for an identical message within
    /// ``duplicateWindow`` or a retry with the same `Idempotency-Key`.
    @Sendable func submit(
        _ request: Request,
        context: ServiceRequestContext
    ) async throws -> EditedResponse<FeedbackItem> {
        let identity = try context.requireIdentity()
        let key = try Self.idempotencyKey(request)
        let input = try await request.decode(as: SubmissionBody.self, context: context).submission

        let submission = FeedbackStore.NewSubmission(
            organizationID: identity.organizationID,
            userID: identity.userID,
            userEmail: identity.email,
            category: input.category,
            message: input.message,
            context: FeedbackContext(
                pageURL: input.pageURL,
                userAgent: FeedbackText.headerValue(context.userAgent, maxLength: 1000),
                appVersion: input.appVersion,
                locale: input.locale,
                viewport: input.viewport
            )
        )
        let fingerprint = try Self.fingerprint(input)
        let (item, created) = try await database.withTransaction { connection in
            try await store.lockSubmissions(of: identity.userID, on: connection)
            if let key,
                let record = try await store.idempotencyRecord(userID: identity.userID, key: key, on: connection)
            {
                guard record.fingerprint == fingerprint else { throw FeedbackError.idempotencyKeyReused }
                guard
                    let earlier = try await store.item(
                        record.submissionID,
                        organizationID: identity.organizationID,
                        on: connection
                    )
                else { throw FeedbackError.submissionNotFound }
                return (earlier, false)
            }
            let answer: (FeedbackItem, Bool)
            if let duplicate = try await store.recentDuplicate(
                of: submission.message,
                organizationID: identity.organizationID,
                userID: identity.userID,
                window: Self.duplicateWindow,
                on: connection
            ) {
                answer = (duplicate, false)
            } else {
                let item = try await store.insert(submission, on: connection)
                try await events.record(
                    FeedbackCreated(after: item.auditFields),
                    resource: EventResource(type: "feedback", id: item.id.wireString),
                    context: context,
                    on: connection
                )
                answer = (item, true)
            }
            if let key {
                try await store.rememberIdempotencyKey(
                    userID: identity.userID,
                    key: key,
                    fingerprint: fingerprint,
                    submissionID: answer.0.id,
                    on: connection
                )
            }
            return answer
        }
        return EditedResponse(status: created ? .created : .ok, response: item.forSubmitter)
    }

    /// The caller's own submissions, newest first, paged.
    @Sendable func mine(_ request: Request, context: ServiceRequestContext) async throws -> ListPage<FeedbackItem> {
        let identity = try context.requireIdentity()
        var query = QueryParameters(request)
        let page = PageRequest(&query)
        try query.validate()
        let filter = FeedbackFilter(organizationID: identity.organizationID, userID: identity.userID)
        var listing = try await database.withConnection { connection in
            try await store.page(filter, page, on: connection)
        }
        listing.items = listing.items.map(\.forSubmitter)
        return listing
    }

    // MARK: - Reading the request

    /// The `Idempotency-Key` header: absent gives nil; present, it must be 1 to 255 visible ASCII characters.
    static func idempotencyKey(_ request: Request) throws(APIError) -> String? {
        let values = request.headers.filter { $0.name.canonicalName == "idempotency-key" }.map(\.value)
        guard let value = values.first else { return nil }
        guard values.count == 1 else { throw .badRequest("send one Idempotency-Key header, not several") }
        let key = value.trimmingCharacters(in: .whitespaces)
        guard (1...255).contains(key.utf8.count), key.utf8.allSatisfy({ (0x21...0x7E).contains($0) }) else {
            throw .badRequest("the Idempotency-Key header must be 1 to 255 visible ASCII characters")
        }
        return key
    }

    /// A digest of what the client sent (normalized), to tell a retry from a different request under the same
    /// `Idempotency-Key`.
    static func fingerprint(_ submission: FeedbackSubmission) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let digest = SHA256.hash(data: try encoder.encode(submission))
        return digest.hexString
    }
}
