import ServiceKit
import TestSupport
import Testing

@testable import FeedbackApp

@Suite("feedback service start-up")
struct FeedbackServiceStartTests {
    @Test("its OpenAPI document describes exactly the routes it registers, both ways")
    func documentMatchesRoutes() async throws {
        try await APIDocumentCheck.verify(service: FeedbackService.name) { configuration, logger in
            try await buildApplication(configuration: configuration, logger: logger)
        }
    }

    @Test("starts with its migrations applied, reports ready and serves metrics")
    func startsReady() async throws {
        try await ServiceStartCheck.verify(
            service: FeedbackService.name,
            schema: FeedbackMigrations.schema,
            migrations: FeedbackMigrations.all
        ) { configuration, logger in
            try await buildApplication(configuration: configuration, logger: logger)
        }
    }
}
