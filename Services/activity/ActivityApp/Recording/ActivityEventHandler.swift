import NIOCore
import ServiceKit

/// Writes every event of the stream as an activity entry: one multi-row insert per batch, in which Postgres
/// reads the envelopes' JSON itself and skips event ids already recorded, so redelivered events are stored
/// once. (Reading them in Swift and inserting column by column saved about 6–11% of the insert's time in
/// `compose/local/bench fastpath`: not worth a second insert path.) The consumer hands it only events
/// published by the service that owns their type (``EventOwnership``), so a forged `users.*` entry is never
/// recorded.
struct ActivityEventHandler: EventHandler {
    let database: Database
    let store: ActivityEntryStore

    func apply(_ events: [ConsumedEvent]) async throws {
        try await database.withConnection { try await store.insert(json: events.map(\.json), on: $0) }
    }
}
