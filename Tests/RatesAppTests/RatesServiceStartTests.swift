import Contracts
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import PostgresNIO
import ServiceKit
import TestSupport
import Testing

@testable import RatesApp

@Suite("rates service start-up")
struct RatesServiceStartTests {
    @Test("starts with its migrations applied, reports ready and serves metrics")
    func startsReady() async throws {
        try await FakeCBR.withMarch2026 { cbr in
            try await IsolatedEnvironment.with { environment in
                try await Self.startsReady(in: environment, cbr: cbr)
            }
        }
    }

    static func startsReady(in environment: IsolatedEnvironment, cbr: FakeCBR) async throws {
        let configuration = try TestInfrastructure.configuration(
            service: RatesService.name,
            RatesHarness.overrides(cbr: cbr, environment: environment)
        )
        let app = try await buildApplication(
            configuration: configuration,
            logger: TestInfrastructure.logger("rates"),
            clock: TestClock(CBRFixtures.moscow(3, 17, 12))
        )
        try await app.test(.router) { client in
            try await eventually(timeout: .seconds(40), "the rates service reports ready") {
                try await client.execute(uri: "/health/ready", method: .get) { response in
                    guard response.status == .ok else { return false }
                    let readiness = try response.decode(Readiness.self)
                    #expect(readiness.service == "rates")
                    return true
                }
            }
            try await client.execute(uri: "/metrics", method: .get) { response in
                #expect(response.status == .ok)
            }
            try await client.execute(uri: "/api/no-such-route", method: .get) { response in
                #expect(response.status == .notFound)
                #expect(response.headers[.contentType] == Problem.mediaType)
            }
        }
        let versions = try await environment.withDatabase { database in
            try await database.withConnection { connection in
                let rows = try await connection.query(
                    "SELECT version FROM rates.schema_migrations ORDER BY version",
                    logger: TestInfrastructure.logger("rates")
                )
                var versions: [Int] = []
                for try await version in rows.decode(Int.self) { versions.append(version) }
                return versions
            }
        }
        #expect(versions == RatesMigrations.all.map(\.version))
    }
}
