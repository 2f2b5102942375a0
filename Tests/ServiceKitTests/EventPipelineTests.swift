import Contracts
import Foundation
import Logging
import NIOCore
import NIOFoundationEssentialsCompat
import PostgresNIO
import ServiceKit
import ServiceLifecycle
import TestSupport
import Testing

/// Records applied event ids in `applied` (one row per id, counting applications), and fails on the event
/// types it is told are poison.
struct TableHandler: EventHandler {
    let database: Database
    var poisonTypes: Set<String> = []

    struct Poison: Error {}

    static let migrations = [
        Outbox.migration(1, schema: "producer"),
        Migration(2, "applied", ["CREATE TABLE producer.applied (id uuid PRIMARY KEY, applications int NOT NULL)"]),
        Outbox.eventTypeMigration(3, schema: "producer"),
    ]

    func apply(_ events: [ConsumedEvent]) async throws {
        if try events.contains(where: { poisonTypes.contains(try $0.envelope().type) }) { throw Poison() }
        let ids = try events.map { try $0.envelope().id }
        try await database.withConnection { connection in
            try await connection.query(
                """
                INSERT INTO producer.applied (id, applications) SELECT id, 1 FROM UNNEST(\(ids)::uuid[]) AS t(id)
                ON CONFLICT (id) DO UPDATE SET applications = producer.applied.applications + 1
                """,
                logger: TestInfrastructure.logger("handler")
            )
            return ()
        }
    }

    /// (rows, total applications).
    static func applied(_ database: Database) async throws -> (rows: Int, applications: Int) {
        try await database.withConnection { connection in
            let rows = try await connection.query(
                "SELECT count(*)::int, coalesce(sum(applications), 0)::int FROM producer.applied",
                logger: TestInfrastructure.logger("test")
            )
            for try await (count, sum) in rows.decode((Int, Int).self) { return (count, sum) }
            return (0, 0)
        }
    }
}

@Suite("Events: outbox, relay, stream consumer (real Postgres and Redis)")
struct EventPipelineTests {
    static let source = EventSource(service: "producer", instance: "test-1")

    static func event(_ type: String = "test.happened", organization: UUID = UUID()) -> EventEnvelope {
        EventEnvelope(
            type: type,
            source: source,
            organizationID: organization,
            actor: nil,
            requestID: nil,
            resource: EventResource(type: "thing", id: "1"),
            action: .create,
            payload: ["n": 1]
        )
    }

    /// Inserts `events` into the producer's outbox, a transaction per 50, as routes would.
    static func produce(_ events: [EventEnvelope], database: Database) async throws {
        let outbox = Outbox(schema: "producer")
        for start in stride(from: 0, to: events.count, by: 50) {
            let slice = Array(events[start..<min(start + 50, events.count)])
            _ = try await database.withTransaction { connection in
                try await outbox.add(slice, on: connection, logger: TestInfrastructure.logger("outbox"))
            }
        }
    }

    static func consumer(
        _ redis: RedisClient,
        _ database: Database,
        _ environment: IsolatedEnvironment,
        name: String = "c1",
        events: EventsSettings? = nil,
        batchSize: Int = 50,
        delay: Duration = .milliseconds(20),
        poison: Set<String> = [],
        metrics: ServiceMetrics = ServiceMetrics()
    ) -> StreamConsumer<TableHandler> {
        StreamConsumer(
            redis: redis,
            handler: TableHandler(database: database, poisonTypes: poison),
            settings: StreamConsumerSettings(
                group: "testers",
                consumer: name,
                batchSize: batchSize,
                maxBatchDelay: delay
            ),
            events: events ?? environment.events(),
            metrics: metrics,
            logger: TestInfrastructure.logger("consumer")
        )
    }

    /// The relay of the test's producer. Its `test.*` events belong to no platform domain, so they are the
    /// activity service's to publish (``EventOwnership``): the relay publishes as activity.
    static func relay(
        _ redis: RedisClient,
        _ database: Database,
        _ environment: IsolatedEnvironment,
        metrics: ServiceMetrics = ServiceMetrics()
    ) -> OutboxRelay {
        OutboxRelay(
            outbox: Outbox(schema: "producer"),
            origin: "activity",
            database: database,
            redis: redis,
            settings: environment.events(),
            metrics: metrics,
            logger: TestInfrastructure.logger("relay")
        )
    }

    /// Adds `event` to the stream as a relay would, with `origin` (none when nil) and without the type beside
    /// the envelope unless `typed`.
    static func add(
        _ event: EventEnvelope,
        origin: String? = "activity",
        typed: Bool = false,
        redis: RedisClient,
        environment: IsolatedEnvironment
    ) async throws {
        let body = try ContractJSON.makeEncoder().encode(event)
        try await redis.streamAdd(
            environment.stream,
            fields: [
                typed ? StreamField("type", event.type) : nil, origin.map { StreamField("origin", $0) },
                StreamField("envelope", ByteBuffer(data: body)),
            ].compactMap { $0 }
        )
    }

    static func prepare(_ database: Database) async throws {
        try await MigrationRunner(schema: "producer", migrations: TableHandler.migrations)
            .run(on: database, logger: TestInfrastructure.logger("test"))
    }

    static func outboxCount(_ database: Database) async throws -> Int {
        try await database.withConnection { connection in
            let rows = try await connection.query(
                "SELECT count(*)::int FROM producer.outbox",
                logger: TestInfrastructure.logger("test")
            )
            for try await count in rows.decode(Int.self) { return count }
            return 0
        }
    }

    @Test("events added in transactions reach the consumer once each, and the outbox empties")
    func endToEnd() async throws {
        try await IsolatedEnvironment.with { environment in
            try await environment.withDatabase { database in
                try await Self.prepare(database)
                try await TestInfrastructure.withRedis { redis in
                    let events = (0..<250).map { _ in Self.event() }
                    try await withRunningServices([
                        Self.relay(redis, database, environment), Self.consumer(redis, database, environment),
                    ]) {
                        try await Self.produce(events, database: database)
                        try await eventually("all 250 events applied") {
                            try await TableHandler.applied(database).rows == 250
                        }
                        try await eventually("acknowledged") {
                            try await redis.streamPendingCount(environment.stream, group: "testers") == 0
                        }
                    }
                    #expect(try await Self.outboxCount(database) == 0)
                    #expect(try await redis.streamLength(environment.stream) == 250)
                    #expect(try await TableHandler.applied(database).applications == 250)
                }
            }
        }
    }

    @Test("entries read by a consumer that died before acknowledging are taken over and stored once")
    func consumerKilledBeforeAck() async throws {
        try await IsolatedEnvironment.with { environment in
            try await environment.withDatabase { database in
                try await Self.prepare(database)
                try await TestInfrastructure.withRedis { redis in
                    try await redis.streamCreateGroup(environment.stream, group: "testers")
                    let events = (0..<40).map { _ in Self.event() }
                    try await withRunningServices([Self.relay(redis, database, environment)]) {
                        try await Self.produce(events, database: database)
                        try await eventually { try await redis.streamLength(environment.stream) == 40 }
                    }
                    // The doomed consumer reads everything, applies half of it, and dies without acknowledging.
                    let read = try await redis.streamReadGroup(
                        environment.stream,
                        group: "testers",
                        consumer: "doomed",
                        count: 100
                    )
                    #expect(read.count == 40)
                    let half = try read.prefix(20).map { entry in
                        ConsumedEvent(entryID: entry.id, body: try #require(entry[field: "envelope"]))
                    }
                    try await TableHandler(database: database).apply(half)

                    let takeover = environment.events(claimIdle: .milliseconds(200))
                    try await withRunningServices([
                        Self.consumer(redis, database, environment, name: "survivor", events: takeover)
                    ]) {
                        try await eventually("all 40 applied after the take-over") {
                            try await TableHandler.applied(database).rows == 40
                        }
                        try await eventually("nothing left pending") {
                            try await redis.streamPendingCount(environment.stream, group: "testers") == 0
                        }
                    }
                    let applied = try await TableHandler.applied(database)
                    #expect(applied.rows == 40)
                    #expect(applied.applications == 60, "the 20 applied before the crash were delivered again")
                }
            }
        }
    }

    @Test("after a restart a consumer first re-reads its own pending entries")
    func restartReadsOwnPending() async throws {
        try await IsolatedEnvironment.with { environment in
            try await environment.withDatabase { database in
                try await Self.prepare(database)
                try await TestInfrastructure.withRedis { redis in
                    try await redis.streamCreateGroup(environment.stream, group: "testers")
                    for event in (0..<10).map({ _ in Self.event() }) {
                        try await Self.add(event, redis: redis, environment: environment)
                    }
                    _ = try await redis.streamReadGroup(
                        environment.stream,
                        group: "testers",
                        consumer: "c1",
                        count: 100
                    )
                    #expect(try await redis.streamPendingCount(environment.stream, group: "testers") == 10)
                    try await withRunningServices([Self.consumer(redis, database, environment, name: "c1")]) {
                        try await eventually { try await TableHandler.applied(database).rows == 10 }
                        try await eventually {
                            try await redis.streamPendingCount(environment.stream, group: "testers") == 0
                        }
                    }
                }
            }
        }
    }

    @Test("events produced while Redis is down stay in the outbox and all arrive once it is back")
    func redisDownWhileProducing() async throws {
        let server = try PrivateRedisServer()
        try await IsolatedEnvironment.with { environment in
            try await environment.withDatabase { database in
                try await Self.prepare(database)
                let redis = RedisClient(settings: server.settings, logger: TestInfrastructure.logger("redis"))
                let events = (0..<120).map { _ in Self.event() }
                try await withRunningServices([
                    Self.relay(redis, database, environment), Self.consumer(redis, database, environment),
                ]) {
                    try await Self.produce(Array(events.prefix(60)), database: database)
                    try await Task.sleep(for: .milliseconds(300))
                    #expect(try await Self.outboxCount(database) == 60, "nothing is lost while Redis is unreachable")
                    try await server.start()
                    try await Self.produce(Array(events.suffix(60)), database: database)
                    try await eventually("all 120 applied") {
                        try await TableHandler.applied(database).rows == 120
                    }
                }
                #expect(try await Self.outboxCount(database) == 0)
                await redis.shutdown()
                await server.stop()
            }
        }
    }

    @Test("a poison entry ends in the dead letters with its reason and does not hold back the rest")
    func poison() async throws {
        try await IsolatedEnvironment.with { environment in
            try await environment.withDatabase { database in
                try await Self.prepare(database)
                try await TestInfrastructure.withRedis { redis in
                    try await redis.streamCreateGroup(environment.stream, group: "testers")
                    try await redis.streamAdd(environment.stream, fields: [StreamField("envelope", "{not an envelope")])
                    var events = (0..<10).map { _ in Self.event() }
                    events.insert(Self.event("test.poison"), at: 3)
                    for event in events {
                        try await Self.add(event, redis: redis, environment: environment)
                    }
                    let consumer = Self.consumer(
                        redis,
                        database,
                        environment,
                        events: environment.events(maxDeliveries: 2, retryInterval: .milliseconds(50)),
                        poison: ["test.poison"]
                    )
                    try await withRunningServices([consumer]) {
                        try await eventually("the good events are applied") {
                            try await TableHandler.applied(database).rows == 10
                        }
                        try await eventually("both bad entries are dead-lettered") {
                            try await redis.streamLength(environment.deadLetterStream) == 2
                        }
                        try await eventually {
                            try await redis.streamPendingCount(environment.stream, group: "testers") == 0
                        }
                    }
                    let letters = try await redis.streamRange(environment.deadLetterStream)
                    let reasons = letters.compactMap { $0[field: "reason"].map { String(buffer: $0) } }
                    #expect(reasons.contains("the entry is not an event envelope"))
                    #expect(reasons.contains { $0.contains("Poison") })
                    #expect(
                        letters.allSatisfy {
                            $0[field: "original_id"] != nil && $0[field: "group"] == ByteBuffer(string: "testers")
                        }
                    )
                }
            }
        }
    }

    @Test("on graceful shutdown the consumer applies and acknowledges what it holds")
    func shutdownFlushes() async throws {
        try await IsolatedEnvironment.with { environment in
            try await environment.withDatabase { database in
                try await Self.prepare(database)
                try await TestInfrastructure.withRedis { redis in
                    try await redis.streamCreateGroup(environment.stream, group: "testers")
                    let consumer = Self.consumer(redis, database, environment, batchSize: 100, delay: .seconds(60))
                    try await withRunningServices([consumer]) {
                        for event in (0..<5).map({ _ in Self.event() }) {
                            try await Self.add(event, redis: redis, environment: environment)
                        }
                        try await eventually("read into the buffer") {
                            try await redis.streamPendingCount(environment.stream, group: "testers") == 5
                        }
                        #expect(
                            try await TableHandler.applied(database).rows == 0,
                            "a partial batch waits for its delay"
                        )
                    }
                    #expect(try await TableHandler.applied(database).rows == 5)
                    #expect(try await redis.streamPendingCount(environment.stream, group: "testers") == 0)
                }
            }
        }
    }

    @Test(
        "a service's relay writes the service's name as each entry's origin, whatever the envelope says"
    )
    func relayWritesOrigin() async throws {
        try await IsolatedEnvironment.with { environment in
            let configuration = try TestInfrastructure.configuration(service: "rates", environment.overrides)
            let platform = try await ServicePlatform(
                configuration: configuration,
                logger: TestInfrastructure.logger("kit")
            )
            let relay = platform.makeEvents(schema: "producer").relay
            try await withRunningServices([platform.database.client, platform.redis]) {
                try await Self.prepare(platform.database)
                var claimed = Self.event("rates.published")
                claimed.source = EventSource(service: "users", instance: nil)
                try await Self.produce([claimed, Self.event("rates.published")], database: platform.database)
                #expect(try await relay.publishBatch() == 2)
                let entries = try await platform.redis.streamRange(environment.stream)
                #expect(entries.count == 2)
                #expect(entries.allSatisfy { $0[field: "origin"] == ByteBuffer(string: "rates") })
                #expect(entries.allSatisfy { $0[field: "type"] == ByteBuffer(string: "rates.published") })
            }
        }
    }

    @Test("an entry is applied only when its origin owns its type; any other goes to the dead letters with the reason")
    func ownership() async throws {
        try await IsolatedEnvironment.with { environment in
            try await environment.withDatabase { database in
                try await Self.prepare(database)
                try await TestInfrastructure.withRedis { redis in
                    try await redis.streamCreateGroup(environment.stream, group: "testers")
                    let owned = [
                        (Self.event("rates.published"), "rates"), (Self.event("users.updated"), "users"),
                        (Self.event("organizations.updated"), "users"), (Self.event("feedback.submitted"), "feedback"),
                        (Self.event("activity.exported"), "activity"), (Self.event("quote.created"), "activity"),
                    ]
                    for (event, origin) in owned {
                        try await Self.add(event, origin: origin, typed: true, redis: redis, environment: environment)
                    }
                    let forged = [
                        (Self.event("rates.published"), "activity"), (Self.event("rates.published"), "users"),
                        (Self.event("users.role_changed"), "activity"), (Self.event("quote.created"), "rates"),
                    ]
                    for (event, origin) in forged {
                        try await Self.add(event, origin: origin, typed: true, redis: redis, environment: environment)
                    }
                    // Without the type beside it, the type is read from the envelope.
                    try await Self.add(
                        Self.event("users.updated"),
                        origin: "activity",
                        redis: redis,
                        environment: environment
                    )
                    try await withRunningServices([Self.consumer(redis, database, environment)]) {
                        try await eventually("the owned events are applied") {
                            try await TableHandler.applied(database).rows == owned.count
                        }
                        try await eventually("the others are dead-lettered") {
                            try await redis.streamLength(environment.deadLetterStream) == forged.count + 1
                        }
                        try await eventually {
                            try await redis.streamPendingCount(environment.stream, group: "testers") == 0
                        }
                    }
                    #expect(try await TableHandler.applied(database).rows == owned.count)
                    let reasons = try await redis.streamRange(environment.deadLetterStream).compactMap {
                        $0[field: "reason"].map { String(buffer: $0) }
                    }
                    #expect(
                        reasons.contains(
                            "rates.published was published by activity, "
                                + "but only the rates service's relay may publish it"
                        )
                    )
                    #expect(reasons.filter { $0.hasPrefix("users.") }.count == 2)
                    #expect(reasons.contains { $0.hasPrefix("quote.created was published by rates") })
                }
            }
        }
    }

    @Test("an entry without an origin (not published by a relay that names its service) is dead-lettered, not applied")
    func withoutOrigin() async throws {
        try await IsolatedEnvironment.with { environment in
            try await environment.withDatabase { database in
                try await Self.prepare(database)
                try await TestInfrastructure.withRedis { redis in
                    try await redis.streamCreateGroup(environment.stream, group: "testers")
                    let event = Self.event()
                    try await Self.add(event, origin: nil, typed: true, redis: redis, environment: environment)
                    try await withRunningServices([Self.consumer(redis, database, environment)]) {
                        try await eventually("dead-lettered") {
                            try await redis.streamLength(environment.deadLetterStream) == 1
                        }
                    }
                    #expect(try await TableHandler.applied(database).rows == 0)
                    let letter = try #require(try await redis.streamRange(environment.deadLetterStream).first)
                    #expect(
                        letter[field: "reason"]
                            == ByteBuffer(
                                string: "the entry has no origin; test.happened is applied only when published by "
                                    + "the activity service's relay"
                            )
                    )
                    #expect(letter[field: "envelope"] != nil, "the letter keeps the entry, so it can be inspected")
                    #expect(try await redis.streamPendingCount(environment.stream, group: "testers") == 0)
                }
            }
        }
    }

    @Test("the same event added twice to an outbox is kept once")
    func outboxIdempotent() async throws {
        try await IsolatedEnvironment.with { environment in
            try await environment.withDatabase { database in
                try await Self.prepare(database)
                let event = Self.event()
                try await Self.produce([event], database: database)
                try await Self.produce([event], database: database)
                #expect(try await Self.outboxCount(database) == 1)
            }
        }
    }
}
