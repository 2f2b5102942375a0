import NIOCore
import ServiceKit

/// Writes every event of the stream as an activity entry: one multi-row insert per batch, skipping event ids
/// already recorded, so redelivered events are stored once. The usual batch is read in Swift and handed to
/// Postgres column by column; a batch with any unusual envelope goes to Postgres as JSON, which reads it.
/// The consumer hands it only events published by the service that owns their type (``EventOwnership``), so
/// a forged `users.*` entry is never recorded.
struct ActivityEventHandler: EventHandler {
    let database: Database
    let store: ActivityEntryStore

    func apply(_ events: [ConsumedEvent]) async throws {
        var recordable: [RecordableEnvelope] = []
        recordable.reserveCapacity(events.count)
        for event in events {
            guard let envelope = event.body.withUnsafeReadableBytes(EnvelopeScanner.recordable) else {
                try await database.withConnection { try await store.insert(json: events.map(\.json), on: $0) }
                return
            }
            recordable.append(envelope)
        }
        try await database.withConnection { try await store.insert(recordable: recordable, on: $0) }
    }
}
