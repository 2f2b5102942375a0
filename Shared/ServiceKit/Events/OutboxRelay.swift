import Contracts
import Foundation
import Logging
import NIOCore
import PostgresNIO
import Prometheus
import ServiceLifecycle

/// Publishes a service's outbox to the event stream: deletes a batch of rows in a transaction (`FOR UPDATE
/// SKIP LOCKED`, so replicas share the work), adds them to the stream in order in one pipeline, and commits
/// once Redis has confirmed every one. When Redis is down the transaction rolls back, the rows stay and the
/// relay backs off.
///
/// It wakes on the outbox's `LISTEN` channel, with a polling fallback in case a notification is missed. While
/// there is a backlog, `OUTBOX_PUBLISHERS` batches are in flight at once; their entries may interleave in
/// the stream, as they do between replicas, so consumers never rely on the order of entries.
/// Delivery is at least once: a crash between `XADD` and `COMMIT` publishes a batch twice, which consumers
/// absorb because they apply each event id once.
///
/// Every entry carries its `origin`, the name of the service this relay publishes for, taken from the
/// service's configuration and never from the envelope: consumers apply an event only when its origin owns
/// its type (``EventOwnership``).
package struct OutboxRelay: Service {
    private let outbox: Outbox
    private let origin: String
    private let database: Database
    private let redis: RedisClient
    private let settings: EventsSettings
    private let logger: Logger

    /// A relay publishing `outbox` as the service `origin`.
    package init(
        outbox: Outbox,
        origin: String,
        database: Database,
        redis: RedisClient,
        settings: EventsSettings,
        metrics: ServiceMetrics = ServiceMetrics(),
        logger: Logger
    ) {
        self.outbox = outbox
        self.origin = origin
        self.database = database
        self.redis = redis
        self.settings = settings
        self.logger = logger
        let pending = metrics.gauge("outbox_pending_events", help: "Events in the outbox, not yet published.")
        let age = metrics.gauge(
            "outbox_oldest_event_age_seconds",
            help: "Age of the oldest event not yet published (0 when the outbox is empty)."
        )
        let schema = outbox.schema
        metrics.collect("outbox.\(schema)") {
            try await database.withConnection { connection in
                let rows = try await connection.query(
                    """
                    SELECT count(*)::bigint, coalesce(extract(epoch FROM now() - min(created_at)), 0)::float8
                    FROM \(unescaped: schema).outbox
                    """,
                    logger: logger
                )
                for try await (count, oldest) in rows.decode((Int64, Double).self) {
                    pending.set(to: Double(count))
                    age.set(to: oldest)
                }
            }
        }
    }

    package func run() async throws {
        let (wakeups, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        await withDiscardingTaskGroup { group in
            group.addTask { await self.listen(wake: wake) }
            group.addTask {
                while !Task.isCancelled {
                    wake.yield()
                    try? await Task.sleep(for: settings.outboxPollInterval)
                }
            }
            await publishUntilShutdown(wakeups: wakeups)
            group.cancelAll()
        }
    }

    /// On every wake-up, drains the outbox with `outboxPublishers` batches in flight.
    private func publishUntilShutdown(wakeups: AsyncStream<Void>) async {
        for await _ in wakeups.cancelOnGracefulShutdown() {
            await withDiscardingTaskGroup { group in
                for publisher in 1...settings.outboxPublishers {
                    group.addTask { await self.drain(publisher: publisher) }
                }
            }
        }
    }

    /// Publishes batches until one comes back short (the outbox is empty, or the rest is locked by other
    /// publishers); on failure, retries with back-off until it succeeds or the service stops.
    private func drain(publisher: Int) async {
        var failures = 0
        while !Task.isShuttingDownGracefully {
            do {
                let published = try await publishBatch()
                if failures > 0 {
                    logger.info(
                        "outbox relay recovered",
                        metadata: ["outbox.failures": "\(failures)", "outbox.publisher": "\(publisher)"]
                    )
                    failures = 0
                }
                if published < settings.outboxBatchSize { return }
            } catch {
                failures += 1
                if failures == 1 {
                    logger.warning(
                        "outbox relay cannot publish; retrying",
                        metadata: ["error": "\(error)", "outbox.publisher": "\(publisher)"]
                    )
                }
                await sleepUnlessShuttingDown(
                    for: Backoff.delay(attempt: failures, base: .milliseconds(100), cap: .seconds(10))
                )
            }
        }
    }

    /// Publishes up to one batch; returns how many events went out.
    @discardableResult
    package func publishBatch() async throws -> Int {
        let schema = outbox.schema
        return try await database.withTransaction { connection in
            // Taking and deleting the batch is one statement (one row version per event); the transaction
            // holds the deletion until Redis has confirmed every entry, and a failure rolls it back.
            let rows = try await connection.query(
                """
                DELETE FROM \(unescaped: schema).outbox WHERE position IN (
                    SELECT position FROM \(unescaped: schema).outbox
                    ORDER BY position LIMIT \(settings.outboxBatchSize)
                    FOR UPDATE SKIP LOCKED)
                RETURNING position, event_id::text, event_type, envelope
                """,
                logger: logger
            )
            var batch: [(position: Int64, command: RedisCommand)] = []
            for try await (position, eventID, type, envelope) in rows.decode((Int64, String, String, String).self) {
                batch.append(
                    (
                        position,
                        .streamAdd(
                            settings.stream,
                            // The type travels beside the envelope so consumers can skip events without decoding them;
                            // the origin says which service published it.
                            fields: [
                                StreamField("id", eventID), StreamField("type", type),
                                StreamField("origin", origin), StreamField("envelope", envelope),
                            ],
                            maxLength: settings.maxLength
                        )
                    )
                )
            }
            guard !batch.isEmpty else { return 0 }
            // RETURNING has no order; the stream gets the outbox's.
            batch.sort { $0.position < $1.position }
            for result in try await redis.pipeline(batch.map(\.command)) {
                if case .failure(let error) = result { throw error }
            }
            return batch.count
        }
    }

    /// Holds a `LISTEN` on the outbox channel and wakes the publisher on every notification; reconnects after
    /// failures (the polling fallback covers the gap).
    private func listen(wake: AsyncStream<Void>.Continuation) async {
        var failures = 0
        while !Task.isCancelled {
            do {
                try await database.withConnection { connection in
                    try await connection.listen(on: outbox.channel) { notifications in
                        for try await _ in notifications {
                            wake.yield()
                        }
                    }
                }
            } catch {
                if Task.isCancelled { return }
                failures += 1
                logger.debug("outbox listener lost its connection", metadata: ["error": "\(error)"])
            }
            try? await Task.sleep(for: Backoff.delay(attempt: failures, base: .milliseconds(200), cap: .seconds(10)))
        }
    }
}
