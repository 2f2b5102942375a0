import Contracts
import Foundation
import Logging
import PostgresNIO
import ServiceKit

/// The submissions, their idempotency keys and their SQL. Every read and write is scoped by organization.
struct FeedbackStore: Sendable {
    let logger: Logger

    /// A submission to insert, validated.
    struct NewSubmission: Sendable {
        var organizationID: UUID
        var userID: UUID
        var userEmail: String?
        var category: FeedbackCategory
        var message: String
        var context: FeedbackContext
    }

    /// What a review does to the closing fields (`resolved_at`, `resolved_by`).
    enum Resolution: Sendable, Equatable {
        /// The status did not move: they stay as they are.
        case keep
        /// The submission was closed now by this admin.
        case close(by: UUID)
        /// The submission was reopened: they are cleared.
        case reopen
    }

    // MARK: - Submitting

    /// Serializes the submissions of one user until the caller's transaction ends, so that the duplicate and
    /// idempotency checks that follow cannot race with a concurrent retry. The two-key form of the advisory
    /// lock keeps these locks apart from the single-key ones the migration runner takes.
    func lockSubmissions(of userID: UUID, on connection: PostgresConnection) async throws {
        let rows = try await connection.query(
            """
            SELECT pg_advisory_xact_lock(hashtext('feedback.submissions'), hashtext(\(userID.wireString)))
            """,
            logger: logger
        )
        for try await _ in rows {}
    }

    /// The submission an `Idempotency-Key` of `userID` answered with, and the fingerprint of that request.
    func idempotencyRecord(
        userID: UUID,
        key: String,
        on connection: PostgresConnection
    ) async throws -> (submissionID: UUID, fingerprint: String)? {
        let rows = try await connection.query(
            """
            SELECT submission_id, request_fingerprint FROM feedback.idempotency_keys
            WHERE user_id = \(userID) AND key = \(key)
            """,
            logger: logger
        )
        for try await (submissionID, fingerprint) in rows.decode((UUID, String).self) {
            return (submissionID, fingerprint)
        }
        return nil
    }

    /// Records that `key` of `userID` is answered with `submissionID` from now on.
    func rememberIdempotencyKey(
        userID: UUID,
        key: String,
        fingerprint: String,
        submissionID: UUID,
        on connection: PostgresConnection
    ) async throws {
        try await connection.query(
            """
            INSERT INTO feedback.idempotency_keys (user_id, key, request_fingerprint, submission_id)
            VALUES (\(userID), \(key), \(fingerprint), \(submissionID))
            """,
            logger: logger
        )
    }

    /// The user's latest submission with exactly `message` made less than `window` ago, if any.
    func recentDuplicate(
        of message: String,
        organizationID: UUID,
        userID: UUID,
        window: Duration,
        on connection: PostgresConnection
    ) async throws -> FeedbackItem? {
        let rows = try await connection.query(
            """
            SELECT \(unescaped: Self.columns.description) FROM feedback.submissions
            WHERE organization_id = \(organizationID) AND user_id = \(userID) AND message = \(message)
                AND created_at > now() - \(Double(window.components.seconds)) * interval '1 second'
            ORDER BY created_at DESC, id DESC
            LIMIT 1
            """,
            logger: logger
        )
        for try await row in rows { return try Self.decode(row) }
        return nil
    }

    /// Inserts a new submission with status `new`.
    func insert(_ submission: NewSubmission, on connection: PostgresConnection) async throws -> FeedbackItem {
        let context = submission.context
        let rows = try await connection.query(
            """
            INSERT INTO feedback.submissions (
                id, organization_id, user_id, user_email, category, message, page_url, user_agent, app_version,
                locale, viewport)
            VALUES (\(UUID()), \(submission.organizationID), \(submission.userID), \(submission.userEmail),
                \(submission.category.rawValue), \(submission.message), \(context.pageURL), \(context.userAgent),
                \(context.appVersion), \(context.locale), \(context.viewport))
            RETURNING \(unescaped: Self.columns.description)
            """,
            logger: logger
        )
        return try await Self.single(rows)
    }

    // MARK: - Reviewing

    /// The submission with `id` if it belongs to `organizationID`; locked for the transaction with `forUpdate`.
    func item(
        _ id: UUID,
        organizationID: UUID,
        forUpdate: Bool = false,
        on connection: PostgresConnection
    ) async throws -> FeedbackItem? {
        let rows = try await connection.query(
            """
            SELECT \(unescaped: Self.columns.description) FROM feedback.submissions
            WHERE id = \(id) AND organization_id = \(organizationID)
            \(unescaped: forUpdate ? "FOR UPDATE" : "")
            """,
            logger: logger
        )
        for try await row in rows { return try Self.decode(row) }
        return nil
    }

    /// Saves a review: the status and note of `item`, and the closing fields as `resolution` says.
    func update(
        _ item: FeedbackItem,
        resolution: Resolution,
        on connection: PostgresConnection
    ) async throws -> FeedbackItem {
        let (mode, closedBy): (String, UUID?) =
            switch resolution {
            case .keep: ("keep", nil)
            case .close(let admin): ("close", admin)
            case .reopen: ("reopen", nil)
            }
        let rows = try await connection.query(
            """
            UPDATE feedback.submissions SET status = \(item.status.rawValue), admin_note = \(item.adminNote),
                resolved_at = CASE \(mode) WHEN 'close' THEN now() WHEN 'reopen' THEN NULL ELSE resolved_at END,
                resolved_by = CASE \(mode) WHEN 'close' THEN \(closedBy) WHEN 'reopen' THEN NULL ELSE resolved_by END,
                updated_at = now()
            WHERE id = \(item.id) AND organization_id = \(item.organizationID)
            RETURNING \(unescaped: Self.columns.description)
            """,
            logger: logger
        )
        return try await Self.single(rows)
    }

    // MARK: - Lists

    /// A page of the submissions matching `filter`, newest first, with the total and the cursor of the next
    /// page (after `request.cursor` when it has one, else by number).
    func page(
        _ filter: FeedbackFilter,
        _ request: PageRequest,
        on connection: PostgresConnection
    ) async throws -> ListPage<FeedbackItem> {
        var select = SQLBuilder("SELECT ")
        select.append(Self.columns)
        select.append(" FROM feedback.submissions")
        Self.appendWhere(filter, to: &select)
        if let cursor = request.cursor {
            select.append(" AND (created_at, id) < (timestamptz 'epoch' + ")
            select.bind(cursor.microseconds)
            select.append(" * interval '1 microsecond', ")
            select.bind(cursor.id)
            select.append(")")
        }
        select.append(" ORDER BY created_at DESC, id DESC LIMIT ")
        select.bind(request.perPage + 1)
        if request.cursor == nil {
            select.append(" OFFSET ")
            select.bind(request.offset)
        }
        var count = SQLBuilder("SELECT count(*)::int FROM feedback.submissions")
        Self.appendWhere(filter, to: &count)

        var items: [FeedbackItem] = []
        for try await row in try await connection.query(select.query, logger: logger) {
            items.append(try Self.decode(row))
        }
        var total = 0
        for try await value in try await connection.query(count.query, logger: logger).decode(Int.self) {
            total = value
        }
        let more = items.count > request.perPage
        items = Array(items.prefix(request.perPage))
        let next = more ? items.last.map { PageCursor(time: $0.createdAt, id: $0.id).text } : nil
        return ListPage(items: items, page: request.page, perPage: request.perPage, total: total, nextCursor: next)
    }

    /// How many of the organization's submissions are in each status.
    func counts(organizationID: UUID, on connection: PostgresConnection) async throws -> FeedbackStatusCounts {
        let rows = try await connection.query(
            """
            SELECT status, count(*)::int FROM feedback.submissions
            WHERE organization_id = \(organizationID)
            GROUP BY status
            """,
            logger: logger
        )
        var counts: [FeedbackStatus: Int] = [:]
        for try await (status, count) in rows.decode((String, Int).self) {
            if let status = FeedbackStatus(rawValue: status) { counts[status] = count }
        }
        return FeedbackStatusCounts(
            new: counts[.new] ?? 0,
            inProgress: counts[.inProgress] ?? 0,
            resolved: counts[.resolved] ?? 0,
            wontFix: counts[.wontFix] ?? 0
        )
    }

    // MARK: - SQL

    private static let columns: StaticString = """
        id, organization_id, user_id, user_email, category, message, status, admin_note, page_url, user_agent, \
        app_version, locale, viewport, created_at, updated_at, resolved_at, resolved_by
        """

    private static func appendWhere(_ filter: FeedbackFilter, to query: inout SQLBuilder) {
        query.append(" WHERE organization_id = ")
        query.bind(filter.organizationID)
        query.and("user_id = ", filter.userID)
        query.and("status = ", filter.status?.rawValue)
        query.and("category = ", filter.category?.rawValue)
        query.and("created_at >= ", filter.from)
        query.and("created_at < ", filter.to)
        query.and("message ILIKE ", filter.searchPattern)
    }

    private static func decode(_ row: PostgresRow) throws -> FeedbackItem {
        let (
            id, organizationID, userID, email, category, message, status, note, pageURL, userAgent, appVersion,
            locale, viewport, created, updated, resolvedAt, resolvedBy
        ) =
            try row.decode(
                (
                    UUID, UUID, UUID, String?, String, String, String, String?, String?, String?, String?, String?,
                    String?, Date, Date, Date?, UUID?
                ).self
            )
        return FeedbackItem(
            id: id,
            organizationID: organizationID,
            userID: userID,
            userEmail: email,
            category: FeedbackCategory(rawValue: category) ?? .other,
            message: message,
            status: FeedbackStatus(rawValue: status) ?? .new,
            adminNote: note,
            context: FeedbackContext(
                pageURL: pageURL,
                userAgent: userAgent,
                appVersion: appVersion,
                locale: locale,
                viewport: viewport
            ),
            createdAt: created,
            updatedAt: updated,
            resolvedAt: resolvedAt,
            resolvedBy: resolvedBy
        )
    }

    private static func single(_ rows: PostgresRowSequence) async throws -> FeedbackItem {
        for try await row in rows { return try decode(row) }
        throw FeedbackError.submissionNotFound
    }
}

extension FeedbackItem {
    /// The fields an event shows, for the created event and for before/after change sets.
    var auditFields: [String: JSONValue] {
        [
            "category": .string(category.rawValue), "message": .string(message), "status": .string(status.rawValue),
            "admin_note": JSONValue(adminNote), "page_url": JSONValue(context.pageURL),
            "user_agent": JSONValue(context.userAgent), "app_version": JSONValue(context.appVersion),
            "locale": JSONValue(context.locale), "viewport": JSONValue(context.viewport),
            "resolved_at": JSONValue(resolvedAt.map(Timestamp.format)),
            "resolved_by": JSONValue(resolvedBy.map { $0.wireString }),
        ]
    }

    /// The submitter's view: without the reviewers' internal note and the reviewer's id.
    var forSubmitter: FeedbackItem {
        var item = self
        item.adminNote = nil
        item.resolvedBy = nil
        return item
    }
}
