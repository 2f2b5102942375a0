import Contracts
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import PostgresNIO
import ServiceKit
import Synchronization
import TestSupport
import Testing

@testable import RatesApp

/// The rates service against an isolated database and stream, a fake CBR and a test clock, with tokens for
/// a manager and an admin.
struct RatesHarness: Sendable {
    let environment: IsolatedEnvironment
    let client: any TestClientProtocol
    let cbr: FakeCBR
    let clock: TestWallClock
    let manager: String
    let admin: String
    let channel: String

    /// The settings every rates test uses: the fake CBR, quick retries, and a lease and channel of its own.
    static func overrides(cbr: FakeCBR, environment: IsolatedEnvironment) -> [String: String] {
        let name = TestInfrastructure.uniqueName("rates")
        return environment.overrides.merging([
            "CBR_BASE_URL": cbr.baseURL,
            "CBR_ATTEMPTS": "2",
            "CBR_RETRY_DELAY": "10ms",
            "CBR_TIMEOUT": "5s",
            "RATES_BACKFILL_DAYS": "10",
            "RATES_RETRY_DELAY": "1h",
            "RATES_RETRY_MAX_DELAY": "2h",
            "RATES_STARTUP_TIMEOUT": "30s",
            "RATES_LEASE_NAME": "\(name).scheduler",
            "RATES_UPDATED_CHANNEL": "\(name).updated",
            "OUTBOX_POLL_INTERVAL": "20ms",
        ]) { _, new in new }
    }

    /// Runs the service at `now` against a fake CBR that has published March 2026 (after `prepare`), waits
    /// until it reports ready, and runs `body`.
    static func with(
        now: Date,
        _ overrides: [String: String] = [:],
        waitUntilReady: Bool = true,
        prepare: @Sendable (FakeCBR) async throws -> Void = { _ in },
        _ body: @Sendable (RatesHarness) async throws -> Void
    ) async throws {
        try await FakeCBR.withMarch2026 { cbr in
            try await prepare(cbr)
            try await IsolatedEnvironment.with { environment in
                let settings = Self.overrides(cbr: cbr, environment: environment).merging(overrides) { _, new in new }
                let configuration = try TestInfrastructure.configuration(service: RatesService.name, settings)
                let clock = TestWallClock(now)
                let app = try await buildApplication(
                    configuration: configuration,
                    logger: TestInfrastructure.logger("rates"),
                    clock: clock
                )
                let manager = try await Self.token(.manager)
                let admin = try await Self.token(.admin)
                try await app.test(.router) { client in
                    let harness = RatesHarness(
                        environment: environment,
                        client: client,
                        cbr: cbr,
                        clock: clock,
                        manager: manager,
                        admin: admin,
                        channel: settings["RATES_UPDATED_CHANNEL"] ?? ""
                    )
                    if waitUntilReady { try await harness.waitUntilReady() }
                    try await body(harness)
                }
            }
        }
    }

    /// Waits until `/health/ready` answers 200.
    func waitUntilReady() async throws {
        try await eventually("the rates service reports ready") {
            try await client.execute(uri: "/health/ready", method: .get) { $0.status == .ok }
        }
    }

    static func token(_ role: Role) async throws -> String {
        try await TestTokens.bearer(
            Identity(userID: UUID(), organizationID: UUID(), role: role, email: "\(role.rawValue)@example.ru")
        )
    }

    /// `GET path` as the manager (or with `token`), with extra headers.
    func get(_ path: String, token: String? = nil, headers: HTTPFields = [:]) async throws -> TestResponse {
        try await client.execute(uri: path, method: .get, headers: .authorized(token ?? manager, headers))
    }

    /// `GET path` expecting 200, decoded.
    func get<T: Decodable>(_ path: String, as type: T.Type) async throws -> T {
        let response = try await get(path)
        #expect(response.status == .ok, "\(path): \(response.text)")
        return try response.decode(T.self)
    }

    /// `POST /api/exchange-rates/load` with `json` as the admin (or with `token`).
    func load(_ json: String? = nil, token: String? = nil) async throws -> TestResponse {
        try await client.execute(
            uri: "/api/exchange-rates/load",
            method: .post,
            headers: .authorized(token ?? admin, [.contentType: "application/json"]),
            body: json.map { ByteBuffer(string: $0) }
        )
    }

    /// The field names of a 422 answer.
    static func fields(_ response: TestResponse) throws -> [String] {
        #expect(response.status == .unprocessableContent, "\(response.text)")
        return try response.decode(Problem.self).errors?.map(\.field) ?? []
    }

    /// Every event published to the isolated stream so far.
    func events() async throws -> [EventEnvelope] {
        let stream = environment.stream
        return try await TestInfrastructure.withRedis { redis in
            try await redis.streamRange(stream).compactMap { entry in
                guard let body = entry[field: "envelope"] else { return nil }
                return try ContractJSON.makeDecoder().decode(EventEnvelope.self, from: Data(String(buffer: body).utf8))
            }
        }
    }

    /// Runs `body` on the isolated database.
    func withDatabase<Result: Sendable>(_ body: @Sendable (Database) async throws -> Result) async throws -> Result {
        try await environment.withDatabase(body)
    }

    /// The number of stored sets and rate rows.
    func storedCounts() async throws -> (sets: Int, rates: Int) {
        try await withDatabase { database in
            try await database.withConnection { connection in
                let rows = try await connection.query(
                    """
                    SELECT (SELECT count(*) FROM rates.rate_sets)::bigint, (SELECT count(*) FROM rates.exchange_rates)::bigint
                    """,
                    logger: TestInfrastructure.logger("test")
                )
                for try await (sets, rates) in rows.decode((Int, Int).self) { return (sets, rates) }
                return (0, 0)
            }
        }
    }
}
