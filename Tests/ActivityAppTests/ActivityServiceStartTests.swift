import ServiceKit
import TestSupport
import Testing

@testable import ActivityApp

@Suite("activity service start-up")
struct ActivityServiceStartTests {
    @Test("its OpenAPI document describes exactly the routes it registers, both ways")
    func documentMatchesRoutes() async throws {
        try await APIDocumentCheck.verify(service: ActivityService.name) { configuration, logger in
            try await buildApplication(configuration: configuration, logger: logger)
        }
    }

    @Test("starts with its migrations applied, reports ready and serves metrics")
    func startsReady() async throws {
        try await ServiceStartCheck.verify(
            service: ActivityService.name,
            schema: ActivityMigrations.schema,
            migrations: ActivityMigrations.all
        ) { configuration, logger in
            try await buildApplication(configuration: configuration, logger: logger)
        }
    }
}
