import ServiceKit
import TestSupport
import Testing

@testable import DashboardApp

@Suite("dashboard service start-up")
struct DashboardServiceStartTests {
    @Test("its OpenAPI document describes exactly the routes it registers, both ways")
    func documentMatchesRoutes() async throws {
        try await APIDocumentCheck.verify(service: DashboardService.name) { configuration, logger in
            try await buildApplication(configuration: configuration, logger: logger)
        }
    }

    @Test("starts with its migrations applied, reports ready and serves metrics")
    func startsReady() async throws {
        try await ServiceStartCheck.verify(
            service: DashboardService.name,
            schema: DashboardMigrations.schema,
            migrations: DashboardMigrations.all
        ) { configuration, logger in
            try await buildApplication(configuration: configuration, logger: logger)
        }
    }
}
