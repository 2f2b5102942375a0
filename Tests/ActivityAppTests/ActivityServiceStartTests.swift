import ServiceKit
import TestSupport
import Testing

@testable import ActivityApp

@Suite("activity service start-up")
struct ActivityServiceStartTests {
    @Test("starts with its migrations applied, reports ready and serves metrics")
    func startsReady() async throws {
        try await IsolatedEnvironment.with { environment in
            let configuration = try TestInfrastructure.configuration(
                service: ActivityService.name,
                environment.overrides
            )
            let app = try await buildApplication(
                configuration: configuration,
                logger: TestInfrastructure.logger("activity")
            )
            try await ServiceStartCheck.verify(
                app,
                service: ActivityService.name,
                schema: ActivityMigrations.schema,
                migrations: ActivityMigrations.all,
                environment: environment
            )
        }
    }
}
