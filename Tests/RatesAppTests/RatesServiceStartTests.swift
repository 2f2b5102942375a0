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
    @Test("its OpenAPI document describes exactly the routes it registers, both ways")
    func documentMatchesRoutes() async throws {
        try await APIDocumentCheck.verify(service: RatesService.name) { configuration, logger in
            try await buildApplication(configuration: configuration, logger: logger)
        }
    }

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
            clock: TestWallClock(CBRFixtures.moscow(3, 17, 12))
        )
        try await ServiceStartCheck.verify(
            app,
            service: RatesService.name,
            schema: RatesMigrations.schema,
            migrations: RatesMigrations.all,
            environment: environment
        ) { client in
            // Readiness waits for the first load from the (fake) CBR.
            try await eventually("the rates service reports ready") {
                try await client.execute(uri: "/health/ready", method: .get) { $0.status == .ok }
            }
        }
    }
}
