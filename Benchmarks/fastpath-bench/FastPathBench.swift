import ActivityApp
import ArgumentParser
import Contracts
import Foundation
import Logging
import NIOCore
import PostgresNIO
import ServiceKit

/// Measures each hand-written fast path against the plain way it replaces, in one run, in alternating rounds
/// (the machine's speed drifts; both sides see the same drift), and prints the medians side by side:
///
/// - ingestion: `EnvelopeScanner` (through `IngestionController.decode`) against `JSONDecoder`
///   (`IngestionController.decoded`), for a batch of 1,000 envelopes;
/// - splitting that batch into its elements with `JSONElements` against merely parsing it with
///   `JSONSerialization` (which the elements would otherwise come from);
/// - an activity page of 100 entries written by `JSONWriter` against built as `ActivityEntry` values and
///   encoded by `JSONEncoder`;
/// - the rate limiter at 100 concurrent requests: one caller (batched, and leased), 100 callers (batched, no
///   leases: a lease needs one caller with several requests in a batch), and one script call per request
///   (neither), on a real Redis.
@main
struct FastPathBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fastpath-bench",
        abstract: "Each fast path against the plain way it replaces, in alternating rounds."
    )

    @Option(help: "Alternating rounds per comparison.") var rounds = 7
    @Option(help: "Redis host.") var redisHost = "127.0.0.1"
    @Option(help: "Redis port.") var redisPort = 56379

    func run() async throws {
        var logger = Logger(label: "fastpath-bench")
        logger.logLevel = .warning
        let envelopes = Self.envelopes(count: 1000)
        let batch = Array(("[" + envelopes.joined(separator: ",") + "]").utf8)

        try compareIngestion(batch)
        try compareSplitting(batch)
        let settings = try PostgresSettings(
            settings: Settings(environment: ProcessInfo.processInfo.environment),
            applicationName: "fastpath-bench"
        )
        let database = Database(settings: settings, logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await database.client.run() }
            try await MigrationRunner(schema: ActivityMigrations.schema, migrations: ActivityMigrations.all)
                .run(on: database, logger: logger)
            try await comparePageWriting(envelopes, database: database, logger: logger)
            group.cancelAll()
        }
        let redis = RedisClient(settings: RedisSettings(host: redisHost, port: redisPort), logger: logger)
        try await compareRateLimiting(redis: redis, logger: logger)
        await redis.shutdown()
    }

    // MARK: - The comparisons

    func compareIngestion(_ batch: [UInt8]) throws {
        let (elements, isBatch) = try IngestionController.elements(of: batch)
        let now = Date()
        precondition(IngestionController.decode(bytes: batch, elements: elements, isBatch: isBatch, now: now).1.isEmpty)
        precondition(
            IngestionController.decoded(bytes: batch, elements: elements, isBatch: isBatch, now: now).1.isEmpty
        )
        try report(
            "ingestion: read and check 1,000 envelopes",
            unit: "ms per batch",
            fast: (
                "EnvelopeScanner",
                { _ = IngestionController.decode(bytes: batch, elements: elements, isBatch: isBatch, now: now) }
            ),
            plain: (
                "JSONDecoder",
                { _ = IngestionController.decoded(bytes: batch, elements: elements, isBatch: isBatch, now: now) }
            )
        )
    }

    func compareSplitting(_ batch: [UInt8]) throws {
        let data = Data(batch)
        try report(
            "ingestion: find the 1,000 elements of the batch",
            unit: "ms per batch",
            fast: ("JSONElements.split", { _ = JSONElements.split(batch) }),
            plain: ("JSONSerialization parse", { _ = try JSONSerialization.jsonObject(with: data) })
        )
    }

    func comparePageWriting(_ envelopes: [String], database: Database, logger: Logger) async throws {
        let store = ActivityEntryStore(logger: logger)
        try await database.withConnection { connection in
            try await connection.query("TRUNCATE activity.entries", logger: logger)
            _ = try await store.insert(json: envelopes, on: connection)
        }
        let request = PageRequest(perPage: 100)
        let filter = ActivityFilter(organizationID: Self.organization)
        let rows = try await database.withConnection { try await store.entries(filter, request, on: $0) }
        let page = ActivityPage(rows: rows, request: request, total: envelopes.count, totalExact: true)
        // The plain way starts from the same text the rows hold: Postgres' timestamps and the payload's JSON.
        let decoder = ContractJSON.makeDecoder()
        let stored = try envelopes.prefix(100).map { try decoder.decode(EventEnvelope.self, from: Data($0.utf8)) }
        let texts = try stored.map { envelope in
            (
                envelope, Timestamp.format(envelope.occurredAt),
                String(decoding: try ContractJSON.makeEncoder().encode(envelope.payload), as: UTF8.self)
            )
        }
        let encoder = ContractJSON.makeEncoder()
        try report(
            "activity log: write a page of 100 entries",
            unit: "ms per page",
            fast: ("JSONWriter", { _ = page.json() }),
            plain: (
                "ActivityEntry + JSONEncoder",
                {
                    let items = try texts.map { envelope, occurred, payload in
                        ActivityEntry(
                            id: envelope.id,
                            occurredAt: Timestamp.parse(occurred) ?? envelope.occurredAt,
                            recordedAt: Timestamp.parse(occurred) ?? envelope.occurredAt,
                            organizationID: envelope.organizationID,
                            actor: envelope.actor,
                            action: envelope.action,
                            resourceType: envelope.resource.type,
                            resourceID: envelope.resource.id,
                            eventType: envelope.type,
                            source: envelope.source,
                            requestID: envelope.requestID,
                            payload: try decoder.decode(JSONValue.self, from: Data(payload.utf8))
                        )
                    }
                    _ = try encoder.encode(ListPage(items: items, page: 1, perPage: 100, total: 1000, nextCursor: nil))
                }
            )
        )
    }

    func compareRateLimiting(redis: RedisClient, logger: Logger) async throws {
        let limiter = RateLimiter(redis: redis, shadow: false, metrics: ServiceMetrics(), logger: logger)
        // 10,000,000 a minute: never refused here, an emission interval of 6 µs, and leasable (≥ 100).
        let policy = RateLimitPolicy(name: "fastpath", limit: 10_000_000, period: .seconds(60))
        let interval = 60_000_000 / policy.limit
        let requests = 20_000
        let concurrency = 100
        let variants: [(String, @Sendable (Int) async throws -> Void)] = [
            ("one caller: batched and leased", { _ in _ = await limiter.acquire(policy, caller: "one") }),
            (
                "one caller: a script call each",
                { _ in
                    _ = try await redis.evaluate(
                        RateLimiter.script,
                        keys: ["rl:{fastpath:one-direct}"],
                        arguments: [.int(interval), .int(interval * policy.limit), .int(1)]
                    )
                }
            ),
            (
                "100 callers: batched, no leases",
                { task in _ = await limiter.acquire(policy, caller: "caller-\(task)") }
            ),
            (
                "100 callers: a script call each",
                { task in
                    _ = try await redis.evaluate(
                        RateLimiter.script,
                        keys: ["rl:{fastpath:caller-\(task)}"],
                        arguments: [.int(interval), .int(interval * policy.limit), .int(1)]
                    )
                }
            ),
        ]
        var rates = [[Double]](repeating: [], count: variants.count)
        var calls = [[Double]](repeating: [], count: variants.count)
        for _ in 0..<rounds {
            for (index, variant) in variants.enumerated() {
                let before = try await Self.scriptCalls(redis)
                rates[index].append(try await throughput(requests, concurrency, variant.1))
                calls[index].append(Double(try await Self.scriptCalls(redis) - before) / Double(requests) * 1000)
            }
        }
        print(
            "rate limiter: \(requests) decisions at \(concurrency) concurrent requests (median of \(rounds) alternating "
                + "rounds): decisions per second, and script calls Redis ran per 1,000 decisions"
        )
        for (index, variant) in variants.enumerated() {
            print(
                "  \(variant.0): \(Int(Self.median(rates[index]))) per second, \(Int(Self.median(calls[index]))) calls"
            )
        }
    }

    /// How many scripts Redis has run (`EVALSHA` and `EVAL`), from `INFO commandstats`.
    static func scriptCalls(_ redis: RedisClient) async throws -> Int {
        let info = try await redis.send(RedisCommand("INFO", ["commandstats"])).string ?? ""
        return info.split(whereSeparator: \.isNewline).reduce(0) { total, line in
            guard line.hasPrefix("cmdstat_evalsha:") || line.hasPrefix("cmdstat_eval:"),
                let calls = line.split(separator: ",").first?.split(separator: "=").last,
                let count = Int(calls)
            else { return total }
            return total + count
        }
    }

    // MARK: - Measuring

    /// Prints the medians of `fast` and `plain` over alternating rounds (each round runs each enough times to
    /// take about 50 ms, after a warm-up) and their ratio.
    func report(
        _ title: String,
        unit: String,
        fast: (String, () throws -> Void),
        plain: (String, () throws -> Void)
    ) throws {
        try fast.1()
        try plain.1()
        var times: ([Double], [Double]) = ([], [])
        for _ in 0..<rounds {
            times.0.append(try Self.milliseconds(fast.1))
            times.1.append(try Self.milliseconds(plain.1))
        }
        Self.printFigures(title, unit: unit, fast: (fast.0, times.0), plain: (plain.0, times.1))
    }

    /// Requests per second of `requests` calls of `body`, `concurrency` at a time (`body` gets its task's number).
    func throughput(
        _ requests: Int,
        _ concurrency: Int,
        _ body: @escaping @Sendable (Int) async throws -> Void
    ) async throws -> Double {
        let start = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for task in 0..<concurrency {
                group.addTask {
                    for _ in 0..<(requests / concurrency) { try await body(task) }
                }
            }
            try await group.waitForAll()
        }
        return Double(requests) / (Self.milliseconds(ContinuousClock.now - start) / 1000)
    }

    static func milliseconds(_ body: () throws -> Void) throws -> Double {
        var runs = 0
        let start = ContinuousClock.now
        repeat {
            try body()
            runs += 1
        } while ContinuousClock.now - start < .milliseconds(50)
        return milliseconds(ContinuousClock.now - start) / Double(runs)
    }

    static func milliseconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15
    }

    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        return sorted[sorted.count / 2]
    }

    static func printFigures(_ title: String, unit: String, fast: (String, [Double]), plain: (String, [Double])) {
        let (a, b) = (median(fast.1), median(plain.1))
        Swift.print("\(title) (\(unit), median of \(fast.1.count) alternating rounds)")
        Swift.print("  \(fast.0): \(String(format: "%.3f", a))")
        Swift.print("  \(plain.0): \(String(format: "%.3f", b))")
        Swift.print("  the fast path takes \(String(format: "%.0f", a / b * 100))% of the plain way's time")
    }

    // MARK: - Data

    static let organization = UUID()

    /// `count` envelopes of the quoting core's kind, as it sends them.
    static func envelopes(count: Int) -> [String] {
        let encoder = ContractJSON.makeEncoder()
        let now = Date()
        return (0..<count).map { index in
            let envelope = EventEnvelope(
                type: "quote.created",
                occurredAt: now.addingTimeInterval(-Double(index)),
                source: EventSource(service: "quoting-core", instance: "core-1"),
                organizationID: organization,
                actor: EventActor(
                    userID: UUID(),
                    email: "manager\(index % 7)@example.ru",
                    ip: "10.0.0.\(index % 250)",
                    userAgent: "quoting-core/2.4"
                ),
                requestID: "req-\(index)",
                resource: EventResource(type: "quote", id: "Q-2026-\(100_000 + index)"),
                action: .create,
                payload: [
                    "quote_id": .string(UUID().wireString), "customer_id": .string(UUID().wireString),
                    "number": .string("Q-2026-\(100_000 + index)"), "status": "draft",
                    "total": .string("\(1000 + index).50"), "currency": "RUB", "items": .number(Decimal(index % 9 + 1)),
                    "title": .string("Поставка оборудования, этап \(index % 5 + 1)"),
                ]
            )
            return String(decoding: try! encoder.encode(envelope), as: UTF8.self)
        }
    }
}
