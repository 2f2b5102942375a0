import Contracts
import Foundation
import PostgresNIO
import ServiceKit
import TestSupport
import Testing

@testable import RatesApp

/// Schedulers built by hand on a migrated isolated database, each with its own clock, sharing one lease name
/// as replicas do.
struct SchedulerRig: Sendable {
    let cbr: FakeCBR
    let database: Database
    let redis: RedisClient
    let settings: RatesSettings
    let leaseName: String
    let logger = TestInfrastructure.logger("rates")

    static func with(
        _ overrides: [String: String] = [:],
        _ body: @Sendable (SchedulerRig) async throws -> Void
    ) async throws {
        try await FakeCBR.withMarch2026 { cbr in
            try await IsolatedEnvironment.with { environment in
                let values = RatesHarness.overrides(cbr: cbr, environment: environment).merging(overrides) { $1 }
                let configuration = try TestInfrastructure.configuration(service: RatesService.name, values)
                let settings = try RatesSettings(settings: configuration.settings)
                try await environment.withDatabase { database in
                    try await MigrationRunner(schema: RatesMigrations.schema, migrations: RatesMigrations.all)
                        .run(on: database, logger: TestInfrastructure.logger("test"))
                    try await TestInfrastructure.withRedis { redis in
                        let rig = SchedulerRig(
                            cbr: cbr,
                            database: database,
                            redis: redis,
                            settings: settings,
                            leaseName: settings.leaseName
                        )
                        try await body(rig)
                        try await redis.delete(["lease:\(settings.leaseName)"])
                    }
                }
            }
        }
    }

    var store: RatesStore { RatesStore(logger: logger) }

    /// The stored set effective on `day`.
    func set(answering day: CalendarDay) async throws -> StoredSet? {
        try await database.withConnection { try await store.set(answering: day, on: $0) }
    }

    /// The stored source status.
    func status() async throws -> SourceStatusRow? {
        try await database.withConnection { try await store.status(on: $0) }
    }

    func loader(clock: TestWallClock) -> RatesLoader {
        RatesLoader(
            client: CBRClient(settings: settings, logger: logger),
            store: store,
            database: database,
            redis: redis,
            events: EventRecorder(
                source: EventSource(service: "rates", instance: "test"),
                outbox: Outbox(schema: RatesMigrations.schema),
                logger: logger
            ),
            calendar: RatesCalendar(publicationMinute: settings.publicationMinute),
            clock: clock,
            updatesChannel: settings.updatesChannel,
            logger: logger
        )
    }

    func scheduler(_ owner: String, clock: TestWallClock, gate: InitialLoadGate = InitialLoadGate()) -> RatesScheduler {
        RatesScheduler(
            loader: loader(clock: clock),
            database: database,
            store: store,
            lease: RedisLease(redis: redis, name: leaseName, owner: owner, ttl: settings.leaseTTL),
            calendar: RatesCalendar(publicationMinute: settings.publicationMinute),
            clock: clock,
            settings: settings,
            gate: gate,
            logger: logger
        )
    }

    /// Effective dates of the stored sets, oldest first.
    func storedDates() async throws -> [String] {
        try await database.withConnection { connection in
            let rows = try await connection.query(
                "SELECT to_char(effective_date, 'YYYY-MM-DD') FROM rates.rate_sets ORDER BY effective_date",
                logger: TestInfrastructure.logger("test")
            )
            var dates: [String] = []
            for try await date in rows.decode(String.self) { dates.append(date) }
            return dates
        }
    }

    /// How many `rates.published` events wait in the outbox.
    func publishedEvents() async throws -> Int {
        try await database.withConnection { connection in
            let rows = try await connection.query(
                "SELECT count(*)::bigint FROM rates.outbox WHERE envelope LIKE '%\"rates.published\"%'",
                logger: TestInfrastructure.logger("test")
            )
            for try await count in rows.decode(Int.self) { return count }
            return 0
        }
    }
}

@Suite("Rates scheduler")
struct RatesSchedulerTests {
    @Test("of several replicas only the lease holder loads; the others wait for its data")
    func oneLoaderAmongReplicas() async throws {
        try await SchedulerRig.with { rig in
            await rig.cbr.state.slowDown(.milliseconds(100))
            let clock = TestWallClock(CBRFixtures.moscow(3, 17, 12))
            let gates = [InitialLoadGate(), InitialLoadGate(), InitialLoadGate()]
            let replicas = (0..<3).map { rig.scheduler("replica-\($0)", clock: clock, gate: gates[$0]) }
            await withDiscardingTaskGroup { group in
                for replica in replicas { group.addTask { await replica.startUp() } }
            }
            for gate in gates { #expect(await gate.isOpen) }
            let requests = await rig.cbr.state.requests
            #expect(requests.count == 6)
            #expect(Set(requests).count == requests.count, "no day was asked for twice: \(requests)")
            try await eventually("the leader finished") { try await rig.storedDates().count == 6 }
            #expect(try await rig.publishedEvents() == 6)

            var results: [SchedulerStep] = []
            for replica in replicas {
                var progress = SchedulerProgress()
                results.append(await replica.step(&progress))
            }
            #expect(results.filter { $0 == .follower }.count == 2)
            #expect(results.contains(.concluded(nil)))
            #expect(await rig.cbr.state.requests.count == 6)
        }
    }

    @Test("after the publication time it retries with back-off until tomorrow's set appears")
    func retriesUntilTomorrowAppears() async throws {
        try await SchedulerRig.with { rig in
            let clock = TestWallClock(CBRFixtures.moscow(3, 17, 16))
            let scheduler = rig.scheduler("replica", clock: clock)
            await scheduler.startUp()
            #expect(try await rig.storedDates().last == "2026-03-17")

            var progress = SchedulerProgress()
            let first = await scheduler.step(&progress)
            guard case .retrying(let outcome, let retryAt) = first else {
                Issue.record("expected a retry, got \(first)")
                return
            }
            #expect(outcome.answered == CBRFixtures.day(3, 17))
            #expect(outcome.newSets.isEmpty)
            let wait = retryAt.timeIntervalSince(clock.now())
            #expect(wait >= 1800 && wait <= 3600, "first back-off is half to all of RATES_RETRY_DELAY")
            #expect(await scheduler.step(&progress) == .waiting)
            #expect(scheduler.delay(after: .waiting, progress: progress, now: clock.now()) == .seconds(20))

            await rig.cbr.state.publish(
                try CBRFixtures.dailySet(on: CBRFixtures.day(3, 18), usd: ("82,0000", "82")),
                on: CBRFixtures.day(3, 18)
            )
            clock.set(retryAt.addingTimeInterval(1))
            let second = await scheduler.step(&progress)
            #expect(
                second
                    == .concluded(
                        LoadOutcome(
                            requested: CBRFixtures.day(3, 18),
                            answered: CBRFixtures.day(3, 18),
                            newSets: [CBRFixtures.day(3, 18)]
                        )
                    )
            )
            #expect(await scheduler.step(&progress) == .waiting)
            #expect(try await rig.storedDates().last == "2026-03-18")
        }
    }

    @Test("on a Saturday evening it checks once (no set is dated Sunday) and confirms the Saturday set at midnight")
    func weekendChecksOnce() async throws {
        try await SchedulerRig.with { rig in
            let clock = TestWallClock(CBRFixtures.moscow(3, 14, 16))
            let scheduler = rig.scheduler("replica", clock: clock)
            await scheduler.startUp()
            let backfilled = ["04", "05", "06", "07", "11", "12", "13", "14"].map { "2026-03-\($0)" }
            let stored = try await rig.storedDates()
            #expect(stored == backfilled)
            await rig.cbr.state.resetRequests()

            var progress = SchedulerProgress()
            let evening = await scheduler.step(&progress)
            #expect(
                evening
                    == .concluded(
                        LoadOutcome(requested: CBRFixtures.day(3, 15), answered: CBRFixtures.day(3, 14), newSets: [])
                    )
            )
            #expect(await scheduler.step(&progress) == .waiting)
            #expect(await rig.cbr.state.requests == [CBRFixtures.day(3, 15)])
            let saturday = try await rig.set(answering: CBRFixtures.day(3, 15))
            #expect(saturday?.validThrough == CBRFixtures.day(3, 14), "not yet confirmed for Sunday")

            clock.set(CBRFixtures.moscow(3, 15, 0, 1))
            _ = await scheduler.step(&progress)
            #expect(await rig.cbr.state.requests == [CBRFixtures.day(3, 15), CBRFixtures.day(3, 15)])
            let confirmed = try await rig.set(answering: CBRFixtures.day(3, 15))
            #expect(confirmed?.validThrough == CBRFixtures.day(3, 15), "confirmed for Sunday after midnight")
        }
    }

    @Test("a failing CBR is retried with back-off, recorded, and does not hold readiness back")
    func failuresBackOff() async throws {
        try await SchedulerRig.with { rig in
            await rig.cbr.state.breakDown(.html)
            let clock = TestWallClock(CBRFixtures.moscow(3, 17, 12))
            let gate = InitialLoadGate()
            let scheduler = rig.scheduler("replica", clock: clock, gate: gate)
            await scheduler.startUp()
            #expect(await gate.isOpen)
            #expect(try await rig.storedDates().isEmpty)

            var progress = SchedulerProgress()
            let step = await scheduler.step(&progress)
            guard case .failed(let message, let retryAt) = step else {
                Issue.record("expected a failure, got \(step)")
                return
            }
            #expect(message.contains("HTML"))
            #expect(retryAt.timeIntervalSince(clock.now()) >= 1800)
            let status = try #require(try await rig.status())
            #expect(status.lastAttemptFailed)
            #expect(status.consecutiveFailures == 2)
            #expect(status.lastSuccessAt == nil)

            await rig.cbr.state.recover()
            clock.set(retryAt)
            guard case .concluded(let outcome) = await scheduler.step(&progress) else {
                Issue.record("expected the load to succeed")
                return
            }
            #expect(outcome?.newSets.count == 6)
            #expect(try await rig.status()?.lastAttemptFailed == false)
        }
    }

    @Test("after an outage it walks back over the missed sets without gaps")
    func catchUp() async throws {
        try await SchedulerRig.with { rig in
            let clock = TestWallClock(CBRFixtures.moscow(3, 7, 12))
            _ = try await rig.loader(clock: clock).load(CBRFixtures.day(3, 7))
            clock.set(CBRFixtures.moscow(3, 17, 12))
            var progress = SchedulerProgress()
            let step = await rig.scheduler("replica", clock: clock).step(&progress)
            let expected = [17, 14, 13, 12, 11].map { CBRFixtures.day(3, $0) }
            #expect(
                step
                    == .concluded(
                        LoadOutcome(
                            requested: CBRFixtures.day(3, 17),
                            answered: CBRFixtures.day(3, 17),
                            newSets: expected
                        )
                    )
            )
            // The walk asked for 10 March and got the Saturday set: 8 to 10 March are known to be answered by it.
            #expect(try await rig.set(answering: CBRFixtures.day(3, 10))?.validThrough == CBRFixtures.day(3, 10))
            let stored = ["07", "11", "12", "13", "14", "17"].map { "2026-03-\($0)" }
            #expect(try await rig.storedDates() == stored)
        }
    }

    @Test("a transient CBR failure is retried within one request")
    func clientRetries() async throws {
        try await SchedulerRig.with { rig in
            await rig.cbr.state.misbehave([.status(503)])
            let clock = TestWallClock(CBRFixtures.moscow(3, 17, 12))
            let loaded = try await rig.loader(clock: clock).load(CBRFixtures.day(3, 17))
            #expect(loaded.date == CBRFixtures.day(3, 17))
            #expect(loaded.isNew)
            #expect(await rig.cbr.state.requests.count == 2)
            #expect(try await rig.status()?.consecutiveFailures == 0)
        }
    }
}
