import Contracts
import Foundation
import Logging
import NIOCore
import NIOFoundationEssentialsCompat
import PostgresNIO
import Prometheus
import ServiceLifecycle
import Synchronization

/// An event read from the stream, with the stream entry that carried it. The envelope stays JSON until a
/// handler asks for it: a handler that passes it on to the database as JSON never pays for decoding.
package struct ConsumedEvent: Sendable, Equatable {
    package var entryID: String
    /// The event's type: as the relay wrote it beside the envelope, or read from the envelope when the entry
    /// has none. ``StreamConsumer`` checked that ``origin`` owns it.
    package var type: String?
    /// The service whose relay published the entry (``EventOwnership``).
    package var origin: String?
    /// The envelope as published, JSON.
    package var body: ByteBuffer

    package init(entryID: String, type: String? = nil, origin: String? = nil, body: ByteBuffer) {
        self.entryID = entryID
        self.type = type
        self.origin = origin
        self.body = body
    }

    /// The decoded envelope.
    package func envelope() throws -> EventEnvelope {
        try ContractJSON.makeDecoder().decode(
            EventEnvelope.self,
            from: Data(buffer: body, byteTransferStrategy: .noCopy)
        )
    }

    /// The envelope's JSON as text, for handlers that hand it to Postgres.
    package var json: String { String(buffer: body) }

    /// The entry's fields as the relay writes them, for the dead letters.
    var fields: [StreamField] {
        [
            type.map { StreamField("type", $0) }, origin.map { StreamField("origin", $0) },
            StreamField("envelope", body),
        ].compactMap { $0 }
    }
}

/// The one field of an envelope the consumer reads when the entry has no type beside it.
private struct TypedEnvelope: Decodable {
    var type: String
}

/// An event a handler can never apply (it breaks the handler's rules, not its luck): the consumer moves it
/// to the dead letters at once instead of retrying it.
package protocol UnusableEventError: Error {}

/// What a consuming service does with events.
package protocol EventHandler: Sendable {
    /// Applies `events` in one transaction, idempotently: an event id already applied changes nothing.
    /// Throwing leaves the events unacknowledged, so they are delivered again.
    func apply(_ events: [ConsumedEvent]) async throws
}

/// How one consumer reads: its group, its name, and how it batches.
package struct StreamConsumerSettings: Sendable {
    /// The consumer group, one per consuming service (`activity`, `dashboard`).
    package var group: String
    /// This replica's name in the group (its instance id).
    package var consumer: String
    /// Events handed to the handler at most at once.
    package var batchSize: Int
    /// How long the first buffered event may wait for the batch to fill.
    package var maxBatchDelay: Duration

    package init(group: String, consumer: String, batchSize: Int, maxBatchDelay: Duration) {
        self.group = group
        self.consumer = consumer
        self.batchSize = batchSize
        self.maxBatchDelay = maxBatchDelay
    }
}

/// Consumes the event stream as one member of a consumer group, for at-least-once delivery with an
/// exactly-once effect (handlers are idempotent on the event id):
///
/// - reads new entries with `XREADGROUP … BLOCK` on a connection of its own, buffering them until the batch
///   is full or its delay is up (the reader waits while the buffer is full: memory stays bounded);
/// - acknowledges (`XACK`) only after the handler's transaction committed;
/// - after a restart, first re-reads its own pending entries; every `EVENTS_CLAIM_IDLE` it takes over entries
///   left pending by consumers that died (`XAUTOCLAIM`);
/// - hands the handler only entries whose `origin` owns their type (``EventOwnership``): any other entry,
///   one without an origin included, goes to the dead-letter stream with the reason, so no consumer can apply
///   an event a service or an outside system forged in another's name;
/// - when the handler fails on a batch it retries the events one by one, so one poison event does not hold
///   back the rest; an entry delivered more than `EVENTS_MAX_DELIVERIES` times, or that cannot be decoded,
///   is moved to the dead-letter stream with the reason;
/// - when the database or Redis is unavailable it keeps its batch and retries with back-off, without
///   counting that against the events;
/// - on graceful shutdown it stops reading, applies and acknowledges what it holds, and returns.
package final class StreamConsumer<Handler: EventHandler>: Service {
    private let redis: RedisClient
    private let handler: Handler
    private let settings: StreamConsumerSettings
    private let events: EventsSettings
    private let logger: Logger
    private let stopping = Flag()
    private let blockingConnection = Mutex<RedisConnection?>(nil)
    private let consumed: Counter
    private let deadLettered: Counter

    package init(
        redis: RedisClient,
        handler: Handler,
        settings: StreamConsumerSettings,
        events: EventsSettings,
        metrics: ServiceMetrics,
        logger: Logger
    ) {
        self.redis = redis
        self.handler = handler
        self.settings = settings
        self.events = events
        var logger = logger
        logger[metadataKey: "consumer.group"] = .string(settings.group)
        self.logger = logger
        let labels = [("group", settings.group)]
        consumed = metrics.registry.makeCounter(
            descriptor: .init(
                metricName: "events_consumed",
                unitName: "total",
                helpText: "Events applied and acknowledged."
            ),
            labels: labels
        )
        deadLettered = metrics.registry.makeCounter(
            descriptor: .init(
                metricName: "events_dead_lettered",
                unitName: "total",
                helpText: "Entries moved to the dead-letter stream."
            ),
            labels: labels
        )
        let lag = metrics.gauge(
            "stream_consumer_lag_entries",
            help: "Entries of the event stream not yet delivered to the consumer group.",
            labels: labels
        )
        let pending = metrics.gauge(
            "stream_pending_entries",
            help: "Entries delivered to the consumer group and not yet acknowledged.",
            labels: labels
        )
        let dead = metrics.gauge("events_dead_letter_entries", help: "Entries in the dead-letter stream.")
        let (stream, deadLetters, group) = (events.stream, events.deadLetterStream, settings.group)
        metrics.collect("stream.\(group)") {
            if let backlog = try await redis.streamGroupBacklog(stream, group: group) {
                lag.set(to: Double(backlog.lag))
                pending.set(to: Double(backlog.pending))
            }
            dead.set(to: Double(try await redis.streamLength(deadLetters)))
        }
    }

    package func run() async throws {
        await withGracefulShutdownHandler {
            await self.consume()
        } onGracefulShutdown: {
            self.stopping.set()
            // Interrupts a blocking read at once instead of waiting for its timeout.
            let connection = self.blockingConnection.withLock { $0 }
            connection?.closeSoon()
        }
        await dropBlockingConnection()
    }

    // MARK: - The loop

    private struct State {
        var buffer: [ConsumedEvent] = []
        var bufferStarted: ContinuousClock.Instant?
        var unacknowledged: [String] = []
        var pendingDue: ContinuousClock.Instant = .now
        var claimDue: ContinuousClock.Instant = .now
        var lastErrors: [String: String] = [:]
    }

    private func consume() async {
        var state = State()
        var failures = 0
        var groupReady = false
        while true {
            if stopping.isSet {
                await finish(&state)
                return
            }
            do {
                if !groupReady {
                    try await redis.streamCreateGroup(events.stream, group: settings.group)
                    groupReady = true
                }
                try await step(&state)
                if failures > 0 {
                    logger.info("event consumer recovered", metadata: ["consumer.failures": "\(failures)"])
                    failures = 0
                }
            } catch {
                if stopping.isSet { continue }
                failures += 1
                if failures == 1 {
                    logger.warning("event consumer cannot proceed; retrying", metadata: ["error": "\(error)"])
                }
                if case RedisError.server(let message) = error, message.hasPrefix("NOGROUP") { groupReady = false }
                await dropBlockingConnection()
                await sleepUnlessShuttingDown(
                    for: Backoff.delay(attempt: failures, base: .milliseconds(100), cap: .seconds(5))
                )
            }
        }
    }

    /// One move of the loop: settle acknowledgements, flush a due batch, re-read pending entries, take over
    /// abandoned ones, or read new ones.
    private func step(_ state: inout State) async throws {
        if !state.unacknowledged.isEmpty {
            try await redis.streamAcknowledge(events.stream, group: settings.group, ids: state.unacknowledged)
            state.unacknowledged = []
        }
        let now = ContinuousClock.now
        if let started = state.bufferStarted,
            now - started >= settings.maxBatchDelay || state.buffer.count >= settings.batchSize
        {
            try await flush(&state)
            return
        }
        if state.buffer.isEmpty && now >= state.pendingDue {
            try await readPending(&state)
            return
        }
        if state.buffer.isEmpty && now >= state.claimDue {
            let claimed = try await redis.streamAutoClaim(
                events.stream,
                group: settings.group,
                consumer: settings.consumer,
                minIdle: events.claimIdle,
                count: settings.batchSize
            )
            state.claimDue = now + events.claimIdle / 2
            if !claimed.entries.isEmpty {
                logger.info("took over abandoned events", metadata: ["events.count": "\(claimed.entries.count)"])
                state.pendingDue = now
            }
            return
        }
        let wait: Duration =
            if let started = state.bufferStarted {
                max(.milliseconds(1), settings.maxBatchDelay - (now - started))
            } else {
                min(.seconds(2), state.claimDue - now, state.pendingDue - now)
            }
        let entries = try await blockingRead(
            count: settings.batchSize - state.buffer.count,
            block: max(.milliseconds(1), wait)
        )
        try await accept(entries, into: &state)
    }

    /// Adds `entries` to the buffer; an entry without an envelope, or whose origin does not own its type,
    /// goes to the dead letters at once.
    private func accept(_ entries: [StreamEntry], into state: inout State) async throws {
        for entry in entries {
            guard let fields = entry.fields else {
                // Trimmed from the stream while pending: nothing left to apply.
                state.unacknowledged.append(entry.id)
                continue
            }
            guard let body = entry[field: "envelope"],
                let type = entry[field: "type"].map({ String(buffer: $0) }).flatMap({ $0.isEmpty ? nil : $0 })
                    ?? Self.type(of: body)
            else {
                try await deadLetter(
                    entry.id,
                    fields: fields,
                    reason: "the entry is not an event envelope",
                    deliveries: 1
                )
                continue
            }
            let origin = entry[field: "origin"].map { String(buffer: $0) }
            if let refusal = EventOwnership.refusal(type: type, origin: origin) {
                try await deadLetter(entry.id, fields: fields, reason: refusal, deliveries: 1)
                continue
            }
            if state.buffer.isEmpty { state.bufferStarted = .now }
            state.buffer.append(ConsumedEvent(entryID: entry.id, type: type, origin: origin, body: body))
        }
    }

    /// The type inside an envelope, for entries published without one beside it (outbox rows older than
    /// the outbox's type column).
    private static func type(of body: ByteBuffer) -> String? {
        try? ContractJSON.makeDecoder().decode(
            TypedEnvelope.self,
            from: Data(buffer: body, byteTransferStrategy: .noCopy)
        )
        .type
    }

    /// Applies the buffer and acknowledges it; on a failure about the events themselves, retries them one by
    /// one and leaves the failing ones pending for a later retry.
    private func flush(_ state: inout State) async throws {
        let batch = state.buffer
        guard !batch.isEmpty else { return }
        do {
            try await handler.apply(batch)
        } catch  where Self.isTransient(error) {
            throw error
        } catch {
            logger.warning("applying a batch failed; retrying its events one by one", metadata: ["error": "\(error)"])
            var applied: [String] = []
            for event in batch {
                guard (try? event.envelope()) != nil else {
                    try await deadLetter(
                        event.entryID,
                        fields: event.fields,
                        reason: "the entry is not an event envelope",
                        deliveries: 1
                    )
                    continue
                }
                do {
                    try await handler.apply([event])
                    applied.append(event.entryID)
                } catch  where Self.isTransient(error) {
                    throw error
                } catch let error as any UnusableEventError {
                    try await deadLetter(
                        event.entryID,
                        fields: event.fields,
                        reason: String(describing: error),
                        deliveries: 1
                    )
                } catch {
                    state.lastErrors[event.entryID] = String(describing: error)
                    logger.error(
                        "event cannot be applied",
                        metadata: ["stream.entry": "\(event.entryID)", "error": "\(error)"]
                    )
                }
            }
            state.buffer = []
            state.bufferStarted = nil
            state.pendingDue = .now + events.retryInterval
            state.unacknowledged += applied
            consumed.increment(by: Int64(applied.count))
            return
        }
        state.buffer = []
        state.bufferStarted = nil
        consumed.increment(by: Int64(batch.count))
        state.unacknowledged += batch.map(\.entryID)
        try await redis.streamAcknowledge(events.stream, group: settings.group, ids: state.unacknowledged)
        state.unacknowledged = []
    }

    /// Re-reads this consumer's pending entries (after a restart, a failure or a take-over); entries delivered
    /// too often go to the dead letters.
    private func readPending(_ state: inout State) async throws {
        let pending = try await redis.streamPending(
            events.stream,
            group: settings.group,
            count: settings.batchSize,
            consumer: settings.consumer
        )
        guard !pending.isEmpty else {
            state.pendingDue = .now + .seconds(3600 * 24 * 365)
            return
        }
        for entry in pending where entry.deliveries > events.maxDeliveries {
            let stored = try await redis.streamRange(events.stream, start: entry.id, end: entry.id, count: 1).first
            let reason = state.lastErrors.removeValue(forKey: entry.id) ?? "failed on every delivery"
            try await deadLetter(entry.id, fields: stored?.fields ?? [], reason: reason, deliveries: entry.deliveries)
        }
        let entries = try await redis.streamReadGroup(
            events.stream,
            group: settings.group,
            consumer: settings.consumer,
            count: settings.batchSize,
            id: "0"
        )
        try await accept(entries, into: &state)
        try await flush(&state)
        if state.pendingDue <= .now { state.pendingDue = .now }
    }

    /// On shutdown: applies and acknowledges what is buffered, once, without blocking the exit for long.
    private func finish(_ state: inout State) async {
        do {
            try await flush(&state)
            if !state.unacknowledged.isEmpty {
                try await redis.streamAcknowledge(events.stream, group: settings.group, ids: state.unacknowledged)
            }
            logger.info("event consumer stopped")
        } catch {
            logger.warning(
                "stopping with events unacknowledged; they will be delivered again",
                metadata: ["error": "\(error)"]
            )
        }
    }

    private func deadLetter(_ entryID: String, fields: [StreamField], reason: String, deliveries: Int) async throws {
        var letter = fields
        letter.append(StreamField("original_id", entryID))
        letter.append(StreamField("group", settings.group))
        letter.append(StreamField("reason", reason))
        letter.append(StreamField("deliveries", String(deliveries)))
        letter.append(StreamField("failed_at", Timestamp.format(Date())))
        try await redis.streamAdd(events.deadLetterStream, fields: letter, maxLength: events.maxLength)
        try await redis.streamAcknowledge(events.stream, group: settings.group, ids: [entryID])
        deadLettered.increment()
        logger.error(
            "event moved to the dead letters",
            metadata: ["stream.entry": "\(entryID)", "reason": "\(reason)"]
        )
    }

    // MARK: - The blocking connection

    private func blockingRead(count: Int, block: Duration) async throws -> [StreamEntry] {
        let connection = try await blockingConnectionOrNew()
        return try await connection.streamReadGroup(
            events.stream,
            group: settings.group,
            consumer: settings.consumer,
            count: count,
            block: block
        )
    }

    private func blockingConnectionOrNew() async throws -> RedisConnection {
        if let connection = blockingConnection.withLock({ $0 }), connection.isActive { return connection }
        let connection = try await redis.makeDedicatedConnection()
        let previous = blockingConnection.withLock { current -> RedisConnection? in
            defer { current = connection }
            return current
        }
        await previous?.close()
        if stopping.isSet { connection.closeSoon() }
        return connection
    }

    private func dropBlockingConnection() async {
        let connection = blockingConnection.withLock { current -> RedisConnection? in
            defer { current = nil }
            return current
        }
        await connection?.close()
    }

    /// Whether a failure is about reaching the database or Redis (retry the same batch later) rather than
    /// about the events.
    static func isTransient(_ error: any Error) -> Bool {
        switch error {
        case let error as PSQLError: error.isTransient
        case let error as RedisError: error.isTransportFailure
        case is DatabaseUnavailable, is CancellationError: true
        default: false
        }
    }
}
