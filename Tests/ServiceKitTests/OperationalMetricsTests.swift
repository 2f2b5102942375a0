import Contracts
import Foundation
import Logging
import NIOCore
import PostgresNIO
import Prometheus
import ServiceKit
import TestSupport
import Testing

/// The value of `name{labels}` in a Prometheus text exposition, if it is there.
func metric(_ exposition: [UInt8], _ name: String, _ labels: String = "") -> Double? {
    let prefix = labels.isEmpty ? name + " " : "\(name){\(labels)} "
    for line in String(decoding: exposition, as: UTF8.self).split(separator: "\n") where line.hasPrefix(prefix) {
        return Double(line.dropFirst(prefix.count))
    }
    return nil
}

/// Each signal an operator alerts on moves when its cause happens.
@Suite("Metrics: the operational signals")
struct OperationalMetricsTests {
    @Test("build_info names the build; process_cpu_seconds_total grows with work")
    func buildAndCPU() async throws {
        let metrics = ServiceMetrics(build: BuildInfo(version: "1.2.3", revision: "abc123"))
        let first = await metrics.exposition()
        #expect(metric(first, "build_info", #"version="1.2.3",revision="abc123""#) == 1)
        var sum = 0.0
        let start = ContinuousClock.now
        while ContinuousClock.now - start < .milliseconds(300) { sum += sin(sum + 1) }
        #expect(sum != 0.5)
        let later = await metrics.exposition()
        let before = try #require(metric(first, "process_cpu_seconds_total"))
        let after = try #require(metric(later, "process_cpu_seconds_total"))
        #expect(after > before, "300 ms of work shows")
    }

    @Test("a collector that fails or hangs leaves its figures and the scrape goes on")
    func collectorsAreBounded() async throws {
        let metrics = ServiceMetrics()
        let gauge = metrics.gauge("test_figure", help: "A test figure.")
        gauge.set(to: 7)
        metrics.collect("failing") { throw CancellationError() }
        metrics.collect("hanging") { try await Task.sleep(for: .seconds(60)) }
        metrics.collect("working") { gauge.set(to: 8) }
        metrics.collect("working") { gauge.set(to: 9) }
        let start = ContinuousClock.now
        let exposition = await metrics.exposition()
        #expect(ContinuousClock.now - start < .seconds(10))
        #expect(metric(exposition, "test_figure") == 8, "the first collector of a name counts")
    }

    @Test("outbox_pending_events and outbox_oldest_event_age_seconds rise with unpublished events, fall when published")
    func outboxBacklog() async throws {
        try await IsolatedEnvironment.with { environment in
            try await environment.withDatabase { database in
                try await EventPipelineTests.prepare(database)
                try await TestInfrastructure.withRedis { redis in
                    let metrics = ServiceMetrics()
                    let relay = EventPipelineTests.relay(redis, database, environment, metrics: metrics)
                    #expect(metric(await metrics.exposition(), "outbox_pending_events") == 0)
                    let events = (0..<3).map { _ in EventPipelineTests.event() }
                    try await EventPipelineTests.produce(events, database: database)
                    try await Task.sleep(for: .milliseconds(1100))
                    var exposition = await metrics.exposition()
                    #expect(metric(exposition, "outbox_pending_events") == 3)
                    #expect((metric(exposition, "outbox_oldest_event_age_seconds") ?? 0) >= 1)
                    #expect(try await relay.publishBatch() == 3)
                    exposition = await metrics.exposition()
                    #expect(metric(exposition, "outbox_pending_events") == 0)
                    #expect(metric(exposition, "outbox_oldest_event_age_seconds") == 0)
                }
            }
        }
    }

    @Test(
        "with the relay and the consumer stopped, the outbox backlog rises; the relay moves it to lag; the consumer clears it"
    )
    func backlogMovesThroughThePipeline() async throws {
        try await IsolatedEnvironment.with { environment in
            try await environment.withDatabase { database in
                try await EventPipelineTests.prepare(database)
                try await TestInfrastructure.withRedis { redis in
                    let metrics = ServiceMetrics()
                    let relay = EventPipelineTests.relay(redis, database, environment, metrics: metrics)
                    let consumer = EventPipelineTests.consumer(redis, database, environment, metrics: metrics)
                    try await redis.streamCreateGroup(environment.stream, group: "testers")
                    let lag = #"group="testers""#
                    try await EventPipelineTests.produce(
                        (0..<120).map { _ in EventPipelineTests.event() },
                        database: database
                    )
                    var exposition = await metrics.exposition()
                    #expect(metric(exposition, "outbox_pending_events") == 120, "nothing publishes")
                    #expect(metric(exposition, "stream_consumer_lag_entries", lag) == 0)

                    while try await relay.publishBatch() > 0 {}
                    exposition = await metrics.exposition()
                    #expect(metric(exposition, "outbox_pending_events") == 0)
                    #expect(metric(exposition, "stream_consumer_lag_entries", lag) == 120, "nothing consumes")

                    try await withRunningServices([consumer]) {
                        try await eventually("applied") { try await TableHandler.applied(database).rows == 120 }
                        try await eventually("the lag and the pending entries are gone") {
                            let exposition = await metrics.exposition()
                            return metric(exposition, "stream_consumer_lag_entries", lag) == 0
                                && metric(exposition, "stream_pending_entries", lag) == 0
                        }
                    }
                }
            }
        }
    }

    @Test("stream lag, pending entries and dead letters follow the consumer group, trimming included")
    func streamBacklog() async throws {
        try await IsolatedEnvironment.with { environment in
            try await TestInfrastructure.withRedis { redis in
                let stream = environment.stream
                let group = "watched"
                #expect(try await redis.streamGroupBacklog(stream, group: group) == nil, "no stream yet")
                _ = try await redis.streamCreateGroup(stream, group: group, startingAt: "0")
                for index in 0..<5 { _ = try await redis.streamAdd(stream, fields: [StreamField("n", "\(index)")]) }
                var backlog = try #require(try await redis.streamGroupBacklog(stream, group: group))
                #expect(backlog == (5, 0))
                let read = try await redis.streamReadGroup(stream, group: group, consumer: "c", count: 2)
                #expect(read.count == 2)
                backlog = try #require(try await redis.streamGroupBacklog(stream, group: group))
                #expect(backlog == (3, 2))
                _ = try await redis.streamAcknowledge(stream, group: group, ids: read.map(\.id))
                backlog = try #require(try await redis.streamGroupBacklog(stream, group: group))
                #expect(backlog == (3, 0))
                // Trimmed past what the group has read: every entry left is still to deliver.
                for index in 0..<10 { _ = try await redis.streamAdd(stream, fields: [StreamField("m", "\(index)")]) }
                backlog = try #require(try await redis.streamGroupBacklog(stream, group: group))
                #expect(backlog == (13, 0))
                _ = try await redis.send(RedisCommand("XTRIM", [.string(stream), "MAXLEN", 4]))
                backlog = try #require(try await redis.streamGroupBacklog(stream, group: group))
                #expect(backlog == (4, 0))

                let metrics = ServiceMetrics()
                let consumer = StreamConsumer(
                    redis: redis,
                    handler: NothingHandler(),
                    settings: StreamConsumerSettings(group: group, consumer: "c", batchSize: 10, maxBatchDelay: .zero),
                    events: environment.events(),
                    metrics: metrics,
                    logger: TestInfrastructure.logger("consumer")
                )
                _ = consumer
                _ = try await redis.streamAdd(environment.deadLetterStream, fields: [StreamField("reason", "test")])
                let exposition = await metrics.exposition()
                #expect(metric(exposition, "stream_consumer_lag_entries", #"group="watched""#) == Double(backlog.lag))
                #expect(metric(exposition, "stream_pending_entries", #"group="watched""#) == 0)
                #expect(metric(exposition, "events_dead_letter_entries") == 1)
            }
        }
    }

    @Test("postgres_pool_connections counts leases; postgres_pool_wait_seconds each wait, timeouts included")
    func pool() async throws {
        var settings = try TestInfrastructure.postgresSettings
        settings.poolSize = 1
        settings.acquireTimeout = .seconds(2)
        let metrics = ServiceMetrics()
        let database = Database(settings: settings, logger: TestInfrastructure.logger("pool"), metrics: metrics)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await database.client.run() }
            try await database.ping()
            #expect(metric(await metrics.exposition(), "postgres_pool_connections", #"state="max""#) == 1)
            try await database.withConnection { _ in
                let exposition = await metrics.exposition()
                #expect(metric(exposition, "postgres_pool_connections", #"state="in_use""#) == 1)
                await #expect(throws: DatabaseUnavailable.self) { try await database.withConnection { _ in } }
            }
            let exposition = await metrics.exposition()
            #expect(metric(exposition, "postgres_pool_connections", #"state="in_use""#) == 0)
            #expect(metric(exposition, "postgres_pool_wait_seconds_count") == 3)
            #expect((metric(exposition, "postgres_pool_wait_seconds_sum") ?? 0) >= 2, "the timeout waited 2 s")
            group.cancelAll()
        }
    }

    @Test("redis_command_errors_total counts errors by kind; redis_reconnects_total a connection made again")
    func redis() async throws {
        let server = try PrivateRedisServer()
        try await server.start()
        let metrics = ServiceMetrics()
        var settings = server.settings
        settings.connections = 1
        let redis = RedisClient(settings: settings, logger: TestInfrastructure.logger("redis"), metrics: metrics)
        try await redis.ping()
        await #expect(throws: RedisError.self) { try await redis.send(RedisCommand("NO-SUCH-COMMAND")) }
        var exposition = await metrics.exposition()
        #expect(metric(exposition, "redis_command_errors_total", #"kind="server""#) == 1)
        #expect(metric(exposition, "redis_reconnects_total") == 0)

        await server.stop()
        await #expect(throws: RedisError.self) { try await redis.ping() }
        try await server.start()
        try await eventually("reconnected") { (try? await redis.ping()) != nil }
        exposition = await metrics.exposition()
        #expect((metric(exposition, "redis_command_errors_total", #"kind="connection""#) ?? 0) >= 1)
        #expect(metric(exposition, "redis_reconnects_total") == 1)
        await redis.shutdown()
        await server.stop()
    }
}

/// A handler that applies nothing, for consumers that are only looked at.
struct NothingHandler: EventHandler {
    func apply(_ events: [ConsumedEvent]) async throws {}
}
