import ServiceKit
import TestSupport
import Testing

@testable import FeedbackApp

@Suite("feedback service start-up")
struct FeedbackServiceStartTests {
    @Test("starts with its migrations applied, reports ready and serves metrics")
    func startsReady() async throws {
        try await IsolatedEnvironment.with { environment in
            let configuration = try TestInfrastructure.configuration(
                service: FeedbackService.name,
                environment.overrides
            )
            let app = try await buildApplication(
                configuration: configuration,
                logger: TestInfrastructure.logger("feedback")
            )
            try await ServiceStartCheck.verify(
                app,
                service: FeedbackService.name,
                schema: FeedbackMigrations.schema,
                migrations: FeedbackMigrations.all,
                environment: environment
            )
        }
    }
}
