import ServiceLifecycle
import TestSupport
import Testing

/// The test helper that runs services beside a test body must never leave the body waiting for a service
/// that is gone.
@Suite("Running services in tests")
struct RunningServicesTests {
    private struct Broken: Error {}

    private struct FailingService: Service {
        func run() async throws { throw Broken() }
    }

    private struct QuietService: Service {
        func run() async throws {
            try await gracefulShutdown()
        }
    }

    @Test("a service that fails while the body waits for it ends the body with the service's error")
    func failingServiceEndsBody() async throws {
        let (never, _) = AsyncStream.makeStream(of: Int.self)
        let error = await #expect(throws: ServicesStopped.self) {
            try await withRunningServices([FailingService()]) {
                for await _ in never {}
            }
        }
        #expect(error?.underlying is Broken)
    }

    @Test("the body's result comes back once the services shut down gracefully")
    func bodyResult() async throws {
        let result = try await withRunningServices([QuietService()]) { 42 }
        #expect(result == 42)
    }
}
