import Contracts
import Foundation
import Logging
import ServiceKit

/// Applies the stream's customer, quote and rates events to the projection, a batch per transaction, and
/// once it is committed drops the cached figures of every organization whose numbers changed. The consumer
/// hands it only events published by the service that owns their type (``EventOwnership``): rates only from
/// rates, quotes and customers only from activity's ingestion.
struct DashboardEventHandler: EventHandler {
    let database: Database
    let projection: ProjectionStore
    let cache: DashboardCache

    static let relevantTypes = CustomerEventPayload.eventTypes.union(QuoteEventPayload.eventTypes).union([
        RatesPublished.eventType
    ])

    func apply(_ events: [ConsumedEvent]) async throws {
        let relevant = events.filter { event in event.type.map(Self.relevantTypes.contains) ?? true }
        guard !relevant.isEmpty else { return }
        let changed = try await database.withTransaction { connection in
            var changed: Set<UUID> = []
            for event in relevant {
                changed.formUnion(try await projection.apply(event, on: connection))
            }
            return changed
        }
        await cache.invalidate(organizations: changed)
    }
}
