import Contracts
import Foundation
import Logging
import PostgresNIO
import ServiceKit

/// The activity log's table: batched idempotent inserts, filtered newest-first pages, export chunks and
/// retention deletes. Every read is scoped by organization. Like every store, it runs on the connection its
/// caller leased (the caller decides what shares a connection or a transaction and what runs side by side).
package struct ActivityEntryStore: Sendable {
    let logger: Logger

    package init(logger: Logger) {
        self.logger = logger
    }

    // MARK: - Writing

    /// Inserts envelopes given as JSON text with one statement: Postgres takes the columns out of the JSON,
    /// so the hot path of the log never decodes an envelope in Swift. An id already stored is skipped.
    @discardableResult
    package func insert(json envelopes: [String], on connection: PostgresConnection) async throws -> Int {
        guard !envelopes.isEmpty else { return 0 }
        let statement: PostgresQuery = """
            INSERT INTO activity.entries (
                id, occurred_at, organization_id, actor_id, actor_email, ip, user_agent, action, resource_type,
                resource_id, event_type, source_service, source_instance, request_id, payload)
            SELECT (e->>'id')::uuid, (e->>'occurred_at')::timestamptz, (e->>'organization_id')::uuid,
                (e->'actor'->>'user_id')::uuid, e->'actor'->>'email', e->'actor'->>'ip', e->'actor'->>'user_agent',
                e->>'action', e->'resource'->>'type', e->'resource'->>'id', e->>'type', e->'source'->>'service',
                e->'source'->>'instance', e->>'request_id', coalesce(e->'payload', '{}'::jsonb)
            FROM unnest(\(envelopes)::jsonb[]) AS e
            ON CONFLICT (id) DO NOTHING
            RETURNING 1
            """
        return try await rowCount(statement, on: connection)
    }

    /// Deletes up to `limit` entries that occurred before `cutoff`; returns how many.
    func deleteEntries(before cutoff: Date, limit: Int, on connection: PostgresConnection) async throws -> Int {
        try await rowCount(
            """
            DELETE FROM activity.entries WHERE id IN (
                SELECT id FROM activity.entries WHERE occurred_at < \(cutoff) LIMIT \(limit))
            RETURNING 1
            """,
            on: connection
        )
    }

    /// Runs a statement that returns a row per row it changed; returns how many.
    private func rowCount(_ statement: PostgresQuery, on connection: PostgresConnection) async throws -> Int {
        var count = 0
        for try await _ in try await connection.query(statement, logger: logger) { count += 1 }
        return count
    }

    // MARK: - Reading

    /// Counting stops here; a larger total is the planner's estimate (`total_exact: false`), so that a page
    /// over millions of entries costs a bounded amount of work.
    static let exactCountLimit = 10_000

    /// The entries of `request`'s page matching `filter`, newest first, and one more when a next page exists
    /// (see ``ActivityPage/init(rows:request:total:totalExact:)``).
    package func entries(
        _ filter: ActivityFilter,
        _ request: PageRequest,
        on connection: PostgresConnection
    ) async throws -> [StoredEntry] {
        var select = Self.selectEntries(filter, after: request.cursor)
        select.append(" LIMIT ")
        select.bind(request.perPage + 1)
        if request.cursor == nil {
            select.append(" OFFSET ")
            select.bind(request.offset)
        }
        var rows: [StoredEntry] = []
        for try await row in try await connection.query(select.query, logger: logger) {
            rows.append(try Self.decode(row))
        }
        return rows
    }

    /// How many entries match `filter`: exact up to ``exactCountLimit``, the planner's estimate beyond.
    func count(_ filter: ActivityFilter, on connection: PostgresConnection) async throws -> (total: Int, exact: Bool) {
        var count = SQLBuilder("SELECT count(*)::bigint FROM (SELECT 1 FROM activity.entries")
        Self.appendWhere(filter, to: &count)
        count.append(" LIMIT ")
        count.bind(Self.exactCountLimit + 1)
        count.append(") AS capped")
        var estimate = SQLBuilder("EXPLAIN (FORMAT JSON) SELECT 1 FROM activity.entries")
        Self.appendWhere(filter, to: &estimate)
        var total = 0
        for try await value in try await connection.query(count.query, logger: logger).decode(Int64.self) {
            total = Int(value)
        }
        guard total > Self.exactCountLimit else { return (total, true) }
        for try await plan in try await connection.query(estimate.query, logger: logger).decode(String.self) {
            total = max(Self.estimatedRows(plan) ?? total, Self.exactCountLimit + 1)
        }
        return (total, false)
    }

    /// The row estimate at the top of an `EXPLAIN (FORMAT JSON)` plan.
    static func estimatedRows(_ plan: String) -> Int? {
        guard let document = try? JSONSerialization.jsonObject(with: Data(plan.utf8)) as? [[String: Any]],
            let top = document.first?["Plan"] as? [String: Any]
        else { return nil }
        return (top["Plan Rows"] as? NSNumber)?.intValue
    }

    /// The entry with `id` if the filter's organization (and actor, for a manager) may see it.
    func entry(
        _ id: UUID,
        organizationID: UUID,
        actorID: UUID?,
        on connection: PostgresConnection
    ) async throws -> StoredEntry? {
        var query = SQLBuilder()
        query.append(Self.columns)
        query.append(" FROM activity.entries WHERE id = ")
        query.bind(id)
        query.append(" AND organization_id = ")
        query.bind(organizationID)
        if let actorID {
            query.append(" AND actor_id = ")
            query.bind(actorID)
        }
        for try await row in try await connection.query(query.query, logger: logger) {
            return try Self.decode(row)
        }
        return nil
    }

    /// The next `limit` entries after `cursor` as CSV records (Postgres formats every column as text, the
    /// payload included, so a streamed export does no per-row JSON work), and the cursor of the last one.
    func exportChunk(
        _ filter: ActivityFilter,
        after cursor: PageCursor?,
        limit: Int,
        on connection: PostgresConnection
    ) async throws -> (csv: String, count: Int, last: PageCursor?) {
        var query = SQLBuilder(
            """
            SELECT id::text AS id_text, to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
                coalesce(actor_id::text, ''), coalesce(actor_email, ''), action, resource_type,
                coalesce(resource_id, ''), event_type, coalesce(ip, ''), coalesce(user_agent, ''),
                coalesce(request_id, ''), source_service, payload::text,
                (extract(epoch FROM occurred_at) * 1000000)::bigint, id
            FROM activity.entries
            """
        )
        Self.appendWhere(filter, to: &query)
        Self.appendCursor(cursor, to: &query)
        query.append(" ORDER BY occurred_at DESC, id DESC LIMIT ")
        query.bind(limit)
        var csv = ""
        var count = 0
        var last: PageCursor?
        let rows = try await connection.query(query.query, logger: logger)
        for try await (
            id, occurred, actor, email, action, type, resource, event, ip, agent, request, service, payload, micros,
            uuid
        )
            in rows.decode(
                (
                    String, String, String, String, String, String, String, String, String, String, String, String,
                    String, Int64, UUID
                ).self
            )
        {
            csv += CSVWriter.row([
                id, occurred, actor, email, action, type, resource, event, ip, agent, request, service, payload,
            ])
            count += 1
            last = PageCursor(microseconds: micros, id: uuid)
        }
        return (csv, count, last)
    }

    // MARK: - SQL

    private static let columns: StaticString = """
        SELECT id, to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
            to_char(recorded_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), organization_id, actor_id,
            actor_email, ip, user_agent, action, resource_type, resource_id, event_type, source_service,
            source_instance, request_id, payload::text, (extract(epoch FROM occurred_at) * 1000000)::bigint
        """

    private static func selectEntries(_ filter: ActivityFilter, after cursor: PageCursor?) -> SQLBuilder {
        var query = SQLBuilder()
        query.append(columns)
        query.append(" FROM activity.entries")
        appendWhere(filter, to: &query)
        appendCursor(cursor, to: &query)
        query.append(" ORDER BY occurred_at DESC, id DESC")
        return query
    }

    private static func appendCursor(_ cursor: PageCursor?, to query: inout SQLBuilder) {
        guard let cursor else { return }
        query.append(" AND (occurred_at, id) < (timestamptz 'epoch' + ")
        query.bind(cursor.microseconds)
        query.append(" * interval '1 microsecond', ")
        query.bind(cursor.id)
        query.append(")")
    }

    private static func appendWhere(_ filter: ActivityFilter, to query: inout SQLBuilder) {
        query.append(" WHERE organization_id = ")
        query.bind(filter.organizationID)
        query.and("actor_id = ", filter.actorID)
        query.and("action = ", filter.action?.rawValue)
        query.and("resource_type = ", filter.resourceType)
        query.and("resource_id = ", filter.resourceID)
        query.and("occurred_at >= ", filter.from)
        query.and("occurred_at < ", filter.to)
    }

    private static func decode(_ row: PostgresRow) throws -> StoredEntry {
        let (
            id, occurredAt, recordedAt, organizationID, actorID, email, ip, agent, action, resourceType, resourceID,
            eventType, service, instance, requestID, payload, micros
        ) =
            try row.decode(
                (
                    UUID, String, String, UUID?, UUID?, String?, String?, String?, String, String, String?, String,
                    String, String?, String?, String, Int64
                ).self
            )
        return StoredEntry(
            id: id,
            occurredAt: occurredAt,
            recordedAt: recordedAt,
            organizationID: organizationID,
            actorID: actorID,
            actorEmail: email,
            ip: ip,
            userAgent: agent,
            action: action,
            resourceType: resourceType,
            resourceID: resourceID,
            eventType: eventType,
            sourceService: service,
            sourceInstance: instance,
            requestID: requestID,
            payload: payload,
            cursor: PageCursor(microseconds: micros, id: id)
        )
    }
}
