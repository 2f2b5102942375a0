import Contracts
import Foundation
import Logging
import PostgresNIO
import ServiceKit

/// The activity log's table: batched idempotent inserts, filtered newest-first pages, export chunks and
/// retention deletes. Every read is scoped by organization.
struct ActivityEntryStore: Sendable {
    let database: Database
    let logger: Logger

    // MARK: - Writing

    /// Inserts `events` with one statement; an event id already stored is skipped. Returns how many were new.
    @discardableResult
    func insert(_ events: [EventEnvelope]) async throws -> Int {
        guard !events.isEmpty else { return 0 }
        let encoder = ContractJSON.makeEncoder()
        var ids: [UUID] = [], occurred: [Date] = [], organizations: [String] = [], actors: [String] = []
        var emails: [String] = [], ips: [String] = [], agents: [String] = [], actions: [String] = []
        var resourceTypes: [String] = [], resourceIDs: [String] = [], types: [String] = [], services: [String] = []
        var instances: [String] = [], requests: [String] = [], payloads: [String] = []
        for event in events {
            ids.append(event.id)
            occurred.append(event.occurredAt)
            organizations.append(event.organizationID?.uuidString ?? "")
            actors.append(event.actor?.userID?.uuidString ?? "")
            emails.append(event.actor?.email ?? "")
            ips.append(event.actor?.ip ?? "")
            agents.append(event.actor?.userAgent ?? "")
            actions.append(event.action.rawValue)
            resourceTypes.append(event.resource.type)
            resourceIDs.append(event.resource.id ?? "")
            types.append(event.type)
            services.append(event.source.service)
            instances.append(event.source.instance ?? "")
            requests.append(event.requestID ?? "")
            payloads.append(String(decoding: try encoder.encode(event.payload), as: UTF8.self))
        }
        // Empty strings stand for NULL: arrays of optionals are not bindable.
        let statement: PostgresQuery = """
            INSERT INTO activity.entries (
                id, occurred_at, organization_id, actor_id, actor_email, ip, user_agent, action, resource_type,
                resource_id, event_type, source_service, source_instance, request_id, payload)
            SELECT id, occurred_at, NULLIF(organization_id, '')::uuid, NULLIF(actor_id, '')::uuid,
                NULLIF(actor_email, ''), NULLIF(ip, ''), NULLIF(user_agent, ''), action, resource_type,
                NULLIF(resource_id, ''), event_type, source_service, NULLIF(source_instance, ''),
                NULLIF(request_id, ''), payload::jsonb
            FROM UNNEST(
                \(ids)::uuid[], \(occurred)::timestamptz[], \(organizations)::text[], \(actors)::text[],
                \(emails)::text[], \(ips)::text[], \(agents)::text[], \(actions)::text[], \(resourceTypes)::text[],
                \(resourceIDs)::text[], \(types)::text[], \(services)::text[], \(instances)::text[],
                \(requests)::text[], \(payloads)::text[]
            ) AS batch(id, occurred_at, organization_id, actor_id, actor_email, ip, user_agent, action,
                resource_type, resource_id, event_type, source_service, source_instance, request_id, payload)
            ON CONFLICT (id) DO NOTHING
            RETURNING 1
            """
        let logger = self.logger
        return try await database.withConnection { connection in
            let rows = try await connection.query(statement, logger: logger)
            var inserted = 0
            for try await _ in rows { inserted += 1 }
            return inserted
        }
    }

    /// Deletes up to `limit` entries that occurred before `cutoff`; returns how many.
    func deleteEntries(before cutoff: Date, limit: Int) async throws -> Int {
        let logger = self.logger
        return try await database.withConnection { connection in
            let rows = try await connection.query(
                """
                DELETE FROM activity.entries WHERE id IN (
                    SELECT id FROM activity.entries WHERE occurred_at < \(cutoff) LIMIT \(limit))
                RETURNING 1
                """,
                logger: logger
            )
            var deleted = 0
            for try await _ in rows { deleted += 1 }
            return deleted
        }
    }

    // MARK: - Reading

    /// A page of entries matching `filter`, newest first, the total, and the cursor of the next page.
    func page(_ filter: ActivityFilter, _ request: PageRequest) async throws -> ListPage<ActivityEntry> {
        let cursor = request.cursor.flatMap(ActivityCursor.init)
        var select = Self.selectEntries(filter, after: cursor)
        select.append(" LIMIT ")
        select.bind(request.perPage + 1)
        if cursor == nil {
            select.append(" OFFSET ")
            select.bind(request.offset)
        }
        var count = SQLBuilder("SELECT count(*)::bigint FROM activity.entries")
        Self.appendWhere(filter, to: &count)
        let selectQuery = select.query
        let countQuery = count.query
        let logger = self.logger
        let (rows, total) = try await database.withConnection { connection in
            var rows: [(ActivityEntry, Int64)] = []
            for try await row in try await connection.query(selectQuery, logger: logger) {
                rows.append(try Self.decode(row))
            }
            var total: Int64 = 0
            for try await value in try await connection.query(countQuery, logger: logger).decode(Int64.self) {
                total = value
            }
            return (rows, total)
        }
        let items = Array(rows.prefix(request.perPage))
        let next =
            rows.count > request.perPage
            ? items.last.map { ActivityCursor(occurredMicroseconds: $0.1, id: $0.0.id).text } : nil
        return ListPage(
            items: items.map(\.0),
            page: request.page,
            perPage: request.perPage,
            total: Int(total),
            nextCursor: next
        )
    }

    /// The entry with `id` if the filter's organization (and actor, for a manager) may see it.
    func entry(_ id: UUID, organizationID: UUID, actorID: UUID?) async throws -> ActivityEntry? {
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
        let statement = query.query
        let logger = self.logger
        return try await database.withConnection { connection in
            for try await row in try await connection.query(statement, logger: logger) {
                return try Self.decode(row).0
            }
            return nil
        }
    }

    /// The next `limit` entries after `cursor` (from the newest when nil), for streaming an export.
    func chunk(
        _ filter: ActivityFilter,
        after cursor: ActivityCursor?,
        limit: Int
    ) async throws -> [(ActivityEntry, ActivityCursor)] {
        var select = Self.selectEntries(filter, after: cursor)
        select.append(" LIMIT ")
        select.bind(limit)
        let statement = select.query
        let logger = self.logger
        return try await database.withConnection { connection in
            var rows: [(ActivityEntry, ActivityCursor)] = []
            for try await row in try await connection.query(statement, logger: logger) {
                let (entry, micros) = try Self.decode(row)
                rows.append((entry, ActivityCursor(occurredMicroseconds: micros, id: entry.id)))
            }
            return rows
        }
    }

    // MARK: - SQL

    private static let columns: StaticString = """
        SELECT id, occurred_at, recorded_at, organization_id, actor_id, actor_email, ip, user_agent, action,
            resource_type, resource_id, event_type, source_service, source_instance, request_id, payload::text,
            (extract(epoch FROM occurred_at) * 1000000)::bigint
        """

    private static func selectEntries(_ filter: ActivityFilter, after cursor: ActivityCursor?) -> SQLBuilder {
        var query = SQLBuilder()
        query.append(columns)
        query.append(" FROM activity.entries")
        appendWhere(filter, to: &query)
        if let cursor {
            query.append(" AND (occurred_at, id) < (timestamptz 'epoch' + ")
            query.bind(cursor.occurredMicroseconds)
            query.append(" * interval '1 microsecond', ")
            query.bind(cursor.id)
            query.append(")")
        }
        query.append(" ORDER BY occurred_at DESC, id DESC")
        return query
    }

    private static func appendWhere(_ filter: ActivityFilter, to query: inout SQLBuilder) {
        query.append(" WHERE organization_id = ")
        query.bind(filter.organizationID)
        if let actorID = filter.actorID {
            query.append(" AND actor_id = ")
            query.bind(actorID)
        }
        if let action = filter.action {
            query.append(" AND action = ")
            query.bind(action.rawValue)
        }
        if let resourceType = filter.resourceType {
            query.append(" AND resource_type = ")
            query.bind(resourceType)
        }
        if let resourceID = filter.resourceID {
            query.append(" AND resource_id = ")
            query.bind(resourceID)
        }
        if let from = filter.from {
            query.append(" AND occurred_at >= ")
            query.bind(from)
        }
        if let to = filter.to {
            query.append(" AND occurred_at < ")
            query.bind(to)
        }
    }

    private static func decode(_ row: PostgresRow) throws -> (ActivityEntry, Int64) {
        let (
            id, occurredAt, recordedAt, organizationID, actorID, email, ip, agent, action, resourceType, resourceID,
            eventType, service, instance, requestID, payload, micros
        ) =
            try row.decode(
                (
                    UUID, Date, Date, UUID?, UUID?, String?, String?, String?, String, String, String?, String, String,
                    String?, String?, String, Int64
                ).self
            )
        let hasActor = actorID != nil || email != nil || ip != nil || agent != nil
        let entry = ActivityEntry(
            id: id,
            occurredAt: occurredAt,
            recordedAt: recordedAt,
            organizationID: organizationID,
            actor: hasActor ? EventActor(userID: actorID, email: email, ip: ip, userAgent: agent) : nil,
            action: EventAction(rawValue: action) ?? .other,
            resourceType: resourceType,
            resourceID: resourceID,
            eventType: eventType,
            source: EventSource(service: service, instance: instance),
            requestID: requestID,
            payload: (try? ContractJSON.makeDecoder().decode(JSONValue.self, from: Data(payload.utf8))) ?? [:]
        )
        return (entry, micros)
    }
}
