import ServiceKit
import TestSupport
import Testing

@testable import UsersApp

@Suite("users service start-up")
struct UsersServiceStartTests {
    @Test("starts with its migrations applied, reports ready and serves metrics")
    func startsReady() async throws {
        try await IsolatedEnvironment.with { environment in
            let configuration = try TestInfrastructure.configuration(service: UsersService.name, environment.overrides)
            let app = try await buildApplication(
                configuration: configuration,
                logger: TestInfrastructure.logger("users")
            )
            try await ServiceStartCheck.verify(
                app,
                service: UsersService.name,
                schema: UsersMigrations.schema,
                migrations: UsersMigrations.all,
                environment: environment
            )
        }
    }
}
