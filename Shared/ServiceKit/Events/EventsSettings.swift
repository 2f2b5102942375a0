import Contracts

/// How events travel: the stream, its dead-letter stream, trimming, redelivery and the outbox relay's pace.
package struct EventsSettings: Sendable {
    /// `EVENTS_STREAM` (default `events`): the stream every durable event is published on.
    package var stream: String
    /// `EVENTS_DEAD_LETTER_STREAM` (default `events.dead`): where entries that cannot be applied end up.
    package var deadLetterStream: String
    /// `EVENTS_STREAM_MAX_LENGTH` (default 1,000,000): the stream is trimmed to about this many entries.
    package var maxLength: Int
    /// `EVENTS_MAX_DELIVERIES` (default 5): an entry delivered more often than this goes to the dead letters.
    package var maxDeliveries: Int
    /// `EVENTS_CLAIM_IDLE` (default 60 s): pending entries idle this long in another consumer are taken over.
    package var claimIdle: Duration
    /// `EVENTS_RETRY_INTERVAL` (default 5 s): how soon an entry whose handling failed is tried again.
    package var retryInterval: Duration
    /// `OUTBOX_BATCH_SIZE` (default 500): outbox rows published per relay transaction.
    package var outboxBatchSize: Int
    /// `OUTBOX_POLL_INTERVAL` (default 1 s): how often the relay looks for rows when no notification came.
    package var outboxPollInterval: Duration
    /// `OUTBOX_PUBLISHERS` (default 2): batches one relay publishes at the same time while the outbox has a
    /// backlog (one is written to Redis while the next is taken from Postgres).
    package var outboxPublishers: Int

    package init(
        stream: String = EventEnvelope.stream,
        deadLetterStream: String = EventEnvelope.deadLetterStream,
        maxLength: Int = 1_000_000,
        maxDeliveries: Int = 5,
        claimIdle: Duration = .seconds(60),
        retryInterval: Duration = .seconds(5),
        outboxBatchSize: Int = 500,
        outboxPollInterval: Duration = .seconds(1),
        outboxPublishers: Int = 2
    ) {
        self.stream = stream
        self.deadLetterStream = deadLetterStream
        self.maxLength = maxLength
        self.maxDeliveries = maxDeliveries
        self.claimIdle = claimIdle
        self.retryInterval = retryInterval
        self.outboxBatchSize = outboxBatchSize
        self.outboxPollInterval = outboxPollInterval
        self.outboxPublishers = outboxPublishers
    }

    package init(settings: Settings) throws {
        let defaults = EventsSettings()
        self.init(
            stream: settings.string("EVENTS_STREAM", default: defaults.stream),
            deadLetterStream: settings.string("EVENTS_DEAD_LETTER_STREAM", default: defaults.deadLetterStream),
            maxLength: try settings.int(
                "EVENTS_STREAM_MAX_LENGTH",
                default: defaults.maxLength,
                in: 1000...1_000_000_000
            ),
            maxDeliveries: try settings.int("EVENTS_MAX_DELIVERIES", default: defaults.maxDeliveries, in: 1...1000),
            claimIdle: try settings.duration(
                "EVENTS_CLAIM_IDLE",
                default: defaults.claimIdle,
                in: .seconds(1) ... .seconds(86_400)
            ),
            retryInterval: try settings.duration(
                "EVENTS_RETRY_INTERVAL",
                default: defaults.retryInterval,
                in: .milliseconds(10) ... .seconds(3600)
            ),
            outboxBatchSize: try settings.int("OUTBOX_BATCH_SIZE", default: defaults.outboxBatchSize, in: 1...10_000),
            outboxPollInterval: try settings.duration(
                "OUTBOX_POLL_INTERVAL",
                default: defaults.outboxPollInterval,
                in: .milliseconds(10) ... .seconds(600)
            ),
            outboxPublishers: try settings.int("OUTBOX_PUBLISHERS", default: defaults.outboxPublishers, in: 1...16)
        )
    }
}
