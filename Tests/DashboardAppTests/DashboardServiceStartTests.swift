import ServiceKit
import TestSupport
import Testing

@testable import DashboardApp

@Suite("dashboard service start-up")
struct DashboardServiceStartTests {
    @Test("starts with its migrations applied, reports ready and serves metrics")
    func startsReady() async throws {
        try await IsolatedEnvironment.with { environment in
            let configuration = try TestInfrastructure.configuration(
                service: DashboardService.name,
                environment.overrides
            )
            let app = try await buildApplication(
                configuration: configuration,
                logger: TestInfrastructure.logger("dashboard")
            )
            try await ServiceStartCheck.verify(
                app,
                service: DashboardService.name,
                schema: DashboardMigrations.schema,
                migrations: DashboardMigrations.all,
                environment: environment
            )
        }
    }
}
