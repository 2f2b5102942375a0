import ArgumentParser
import AsyncHTTPClient
import Contracts
import Foundation
import NIOCore
import NIOFoundationEssentialsCompat
import NIOHTTP1
import ServiceKit
import Synchronization

/// Drives the activity service through the proxy for the fault script and the benchmark: posts numbered
/// events in batches, retrying a batch until it is accepted (a retry after a lost answer is safe: ids are
/// idempotent), and times reads.
@main
struct ActivityLoad: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "activity-load",
        abstract: "Load and timing tool for the activity service.",
        subcommands: [Produce.self, Time.self, Token.self]
    )
}

struct Produce: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Posts N numbered events; prints how many were accepted, the rate, and when sending started."
    )

    @Option(help: "Proxy base URL.") var proxy = "http://127.0.0.1:8080"
    @Option(help: "Ingestion key (X-Api-Key).") var key = "dev-ingest-key"
    @Option(help: "The events' source.service: the source the key ingests for.") var source = "quoting-core"
    @Option(help: "The events' type: one the key may send (the development key sends quote.* and customer.*).")
    var type = "quote.load_generated"
    @Option(help: "Organization the events belong to.") var organization: String
    @Option(help: "Events to produce.") var events = 10_000
    @Option(help: "Envelopes per request (at most 1000).") var batch = 100
    @Option(help: "Requests in flight.") var concurrency = 4
    @Option(help: "Pause between a worker's requests, in milliseconds (spreads the load over time).") var pause = 0

    func run() async throws {
        guard let organizationID = UUID(uuidString: organization) else {
            throw ValidationError("--organization must be a UUID")
        }
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        let encoder = ContractJSON.makeEncoder()
        let batches = stride(from: 0, to: events, by: batch).map { start in
            (start..<min(start + batch, events)).map { sequence in
                EventEnvelope(
                    type: type,
                    source: EventSource(service: source, instance: "activity-load"),
                    organizationID: organizationID,
                    actor: EventActor(userID: nil, email: "load@example.ru", ip: nil, userAgent: "activity-load"),
                    requestID: nil,
                    resource: EventResource(type: "load", id: String(sequence)),
                    action: .create,
                    payload: ["seq": .number(Decimal(sequence))]
                )
            }
        }
        // Bodies are ready before the clock starts: the load generator's own encoding is not the system's time.
        let bodies = try batches.map { ByteBuffer(data: try encoder.encode($0)) }
        let next = Counter()
        let retries = Counter()
        let startedAt = Date()
        let started = ContinuousClock.now
        try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<concurrency {
                group.addTask {
                    var accepted = 0
                    while let index = next.take(below: batches.count) {
                        while true {
                            var request = HTTPClientRequest(url: "\(proxy)/api/activity/events")
                            request.method = .POST
                            request.headers.add(name: "Content-Type", value: "application/json")
                            request.headers.add(name: "X-Api-Key", value: key)
                            request.body = .bytes(bodies[index])
                            if let response = try? await client.execute(request, timeout: .seconds(30)),
                                response.status == .accepted
                            {
                                _ = try? await response.body.collect(upTo: 1 << 20)
                                break
                            }
                            retries.add()
                            try await Task.sleep(for: .milliseconds(200))
                        }
                        accepted += batches[index].count
                        if pause > 0 { try await Task.sleep(for: .milliseconds(pause)) }
                    }
                    return accepted
                }
            }
            var produced = 0
            for try await accepted in group { produced += accepted }
            let elapsed = ContinuousClock.now - started
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            print(
                "produced \(produced) retried_requests \(retries.value) seconds \(String(format: "%.2f", seconds)) "
                    + "accepted_per_second \(Int(Double(produced) / seconds)) "
                    + "started_at \(String(format: "%.3f", startedAt.timeIntervalSince1970))"
            )
        }
        try await client.shutdown()
    }
}

struct Time: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Times GET requests: p50/p95/p99 of the whole answer or of its first byte."
    )

    @Option(help: "Full URL to get.") var url: String
    @Option(help: "Bearer token.") var token: String
    @Option(help: "Requests to time.") var requests = 200
    @Flag(help: "Time only until the first byte of the body, then drop the connection.") var firstByte = false

    func run() async throws {
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        var samples: [Double] = []
        for _ in 0..<requests {
            var request = HTTPClientRequest(url: url)
            request.headers.add(name: "Authorization", value: "Bearer \(token)")
            let start = ContinuousClock.now
            let response = try await client.execute(request, timeout: .seconds(600))
            guard response.status == .ok else { throw ValidationError("\(url) answered \(response.status)") }
            if firstByte {
                var iterator = response.body.makeAsyncIterator()
                _ = try await iterator.next()
                samples.append(milliseconds(ContinuousClock.now - start))
            } else {
                _ = try await response.body.collect(upTo: 64 << 20)
                samples.append(milliseconds(ContinuousClock.now - start))
            }
        }
        samples.sort()
        func percentile(_ p: Double) -> String {
            String(format: "%.2f", samples[min(samples.count - 1, Int(Double(samples.count) * p))])
        }
        print("requests \(requests) p50_ms \(percentile(0.5)) p95_ms \(percentile(0.95)) p99_ms \(percentile(0.99))")
        try await client.shutdown()
    }

    private func milliseconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15
    }
}

struct Token: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract:
            "Prints an access token signed with JWT_PRIVATE_KEY (compose/local keeps the local keys in .data/keys)."
    )

    @Option(help: "Organization id.") var organization: String
    @Option(help: "admin or manager.") var role = "admin"

    func run() async throws {
        guard let organizationID = UUID(uuidString: organization), let role = Role(rawValue: role) else {
            throw ValidationError("--organization must be a UUID and --role admin or manager")
        }
        let settings = try AuthSettings(settings: Settings())
        guard let key = settings.signingKey else { throw ValidationError("JWT_PRIVATE_KEY is not set") }
        let signer = await AccessTokenSigner(key: key, settings: settings)
        let identity = Identity(userID: UUID(), organizationID: organizationID, role: role, email: "bench@example.ru")
        print(try await signer.sign(identity, lifetime: .seconds(3600)))
    }
}

/// A counter shared by the workers.
final class Counter: Sendable {
    private let state = Mutex<Int>(0)

    /// Takes the next index below `limit`, or nil when all are taken.
    func take(below limit: Int) -> Int? {
        state.withLock { value in
            guard value < limit else { return nil }
            defer { value += 1 }
            return value
        }
    }

    func add() { state.withLock { $0 += 1 } }
    var value: Int { state.withLock { $0 } }
}
