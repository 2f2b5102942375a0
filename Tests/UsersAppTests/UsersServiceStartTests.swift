import ServiceKit
import TestSupport
import Testing

@testable import UsersApp

@Suite("users service start-up")
struct UsersServiceStartTests {
    @Test("its OpenAPI document describes exactly the routes it registers, both ways")
    func documentMatchesRoutes() async throws {
        try await APIDocumentCheck.verify(service: UsersService.name) { configuration, logger in
            try await buildApplication(configuration: configuration, logger: logger)
        }
    }

    @Test("starts with its migrations applied, reports ready and serves metrics")
    func startsReady() async throws {
        try await ServiceStartCheck.verify(
            service: UsersService.name,
            schema: UsersMigrations.schema,
            migrations: UsersMigrations.all
        ) { configuration, logger in
            try await buildApplication(configuration: configuration, logger: logger)
        }
    }
}
