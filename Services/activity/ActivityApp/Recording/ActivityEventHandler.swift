import ServiceKit

/// Writes every event of the stream as an activity entry: one multi-row insert per batch, the envelopes
/// handed to Postgres as JSON, skipping event ids already recorded, so redelivered events are stored once.
struct ActivityEventHandler: EventHandler {
    let store: ActivityEntryStore

    func apply(_ events: [ConsumedEvent]) async throws {
        try await store.insert(json: events.map(\.json))
    }
}
