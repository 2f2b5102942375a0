import Contracts
import Foundation
import ServiceKit

@testable import ActivityApp

extension ActivityEntryStore {
    /// Inserts `events` as the recorder would; an event id already stored is skipped. Returns how many were new.
    @discardableResult
    func insert(_ events: [EventEnvelope], in database: Database) async throws -> Int {
        let encoder = ContractJSON.makeEncoder()
        let json = try events.map { String(decoding: try encoder.encode($0), as: UTF8.self) }
        return try await database.withConnection { try await insert(json: json, on: $0) }
    }

    /// The page of entries matching `filter`, with its total, read on one connection.
    func page(
        _ filter: ActivityFilter,
        _ request: PageRequest = PageRequest(),
        in database: Database
    ) async throws -> ActivityPage {
        try await database.withConnection { connection in
            let (total, exact) = try await count(filter, on: connection)
            let rows = try await entries(filter, request, on: connection)
            return ActivityPage(rows: rows, request: request, total: total, totalExact: exact)
        }
    }
}
