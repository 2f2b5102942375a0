import Contracts
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import ServiceKit

/// `GET /api/activity-logs` (filtered, newest first, paged), `GET /api/activity-logs/{id}` and
/// `GET /api/activity-logs/export.csv` (streamed). Admins see their organization, managers their own entries.
struct ActivityLogController: Sendable {
    let store: ActivityEntryStore
    let database: Database
    let events: EventRecorder
    let clock: any WallClock
    /// Rows fetched per query while streaming an export; memory holds one chunk at a time.
    let exportChunkSize = 1000

    func addRoutes(to router: Router<ServiceRequestContext>) {
        let group = router.group("api/activity-logs").add(middleware: RequireRoleMiddleware())
        group.get(use: list)
        group.get("export.csv", use: export)
        group.get("{id}", use: entry)
    }

    @Sendable func list(_ request: Request, context: ServiceRequestContext) async throws -> RenderedJSON {
        let identity = try context.requireIdentity()
        var query = QueryParameters(request)
        let filter = ActivityFilter(query: &query, identity: identity)
        let page = PageRequest(&query)
        try query.validate()
        return RenderedJSON(body: try await self.page(filter, page).json())
    }

    /// The page of entries matching `filter`, newest first, with the total. The count runs on a second
    /// connection beside the page's query, so the two take the time of the slower.
    func page(_ filter: ActivityFilter, _ request: PageRequest) async throws -> ActivityPage {
        async let counted = database.withConnection { try await store.count(filter, on: $0) }
        let rows = try await database.withConnection { try await store.entries(filter, request, on: $0) }
        let (total, exact) = try await counted
        return ActivityPage(rows: rows, request: request, total: total, totalExact: exact)
    }

    @Sendable func entry(_ request: Request, context: ServiceRequestContext) async throws -> RenderedJSON {
        let identity = try context.requireIdentity()
        guard let id = context.parameters.get("id", as: UUID.self) else {
            throw APIError.notFound("there is no activity entry with this id")
        }
        let actorID = identity.role == .admin ? nil : identity.userID
        let found = try await database.withConnection { connection in
            try await store.entry(id, organizationID: identity.organizationID, actorID: actorID, on: connection)
        }
        guard let entry = found else {
            throw APIError.notFound("there is no activity entry with this id")
        }
        var json = JSONWriter(capacity: 1024)
        entry.writeJSON(to: &json)
        return RenderedJSON(body: json.buffer)
    }

    @Sendable func export(_ request: Request, context: ServiceRequestContext) async throws -> Response {
        let identity = try context.requireIdentity()
        var query = QueryParameters(request)
        let filter = ActivityFilter(query: &query, identity: identity)
        try query.validate()

        // The export is itself an auditable act: it is committed after the header line leaves (so the download
        // starts at once) and before any entry does; if it cannot be recorded, the download stops there.
        let event = try events.envelope(
            ActivityExported(format: "csv", filters: filter.exported),
            resource: EventResource(type: "activity_export", id: nil),
            context: context
        )
        let outbox = events.outbox
        let logger = context.logger
        let chunkSize = exportChunkSize
        let filename = "activity-\(CalendarDay(clock.now())).csv"
        return Response(
            status: .ok,
            headers: [
                .contentType: "text/csv; charset=utf-8",
                .contentDisposition: "attachment; filename=\"\(filename)\"",
                .cacheControl: "no-store",
            ],
            body: ResponseBody { writer in
                try await writer.write(ByteBuffer(string: CSVWriter.byteOrderMark + CSVWriter.row(CSVWriter.header)))
                var cursor: PageCursor? = nil
                do {
                    try await database.withTransaction { connection in
                        try await outbox.add(event, on: connection, logger: logger)
                    }
                    while true {
                        let chunk = try await database.withConnection { [cursor] connection in
                            try await store.exportChunk(filter, after: cursor, limit: chunkSize, on: connection)
                        }
                        if chunk.count > 0 { try await writer.write(ByteBuffer(string: chunk.csv)) }
                        cursor = chunk.last
                        if chunk.count < chunkSize { break }
                    }
                } catch {
                    // The status line is gone already: the client sees the download cut short.
                    logger.error("export interrupted", metadata: ["error": "\(String(reflecting: error))"])
                    throw error
                }
                try await writer.finish(nil)
            }
        )
    }
}
