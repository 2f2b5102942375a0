import Contracts
import Foundation

@testable import ActivityApp

extension ActivityEntryStore {
    /// Inserts `events` as the recorder would; an event id already stored is skipped. Returns how many were new.
    @discardableResult
    func insert(_ events: [EventEnvelope]) async throws -> Int {
        let encoder = ContractJSON.makeEncoder()
        return try await insert(json: events.map { String(decoding: try encoder.encode($0), as: UTF8.self) })
    }
}
