import ServiceKit
import Synchronization
import Testing

/// A deadline ends a wait whatever the awaited operation does, and says what was awaited.
@Suite("Deadlines")
struct DeadlineTests {
    @Test("an operation that finishes in time gives its result")
    func result() async throws {
        let value = try await withDeadline(.seconds(30), waitingFor: "a number") { 42 }
        #expect(value == 42)
    }

    @Test("an operation that ignores cancellation still ends the wait at the deadline, naming what was awaited")
    func ignoresCancellation() async throws {
        let released = Atomic<Bool>(false)
        let started = ContinuousClock.now
        let error = await #expect(throws: DeadlineExceeded.self) {
            try await withDeadline(.milliseconds(200), waitingFor: "the stubborn server") {
                // Polls a flag instead of sleeping: cancellation does not end it.
                while !released.load(ordering: .relaxed) { await Task.yield() }
                return 1
            }
        }
        released.store(true, ordering: .relaxed)
        #expect(ContinuousClock.now - started < .seconds(30))
        #expect(error?.description == "no answer from the stubborn server within 0.2 seconds")
    }

    @Test("cancelling the caller ends the wait")
    func callerCancelled() async throws {
        let waiting = Task {
            try await withDeadline(.seconds(600), waitingFor: "nothing") {
                try await Task.sleep(for: .seconds(600))
            }
        }
        waiting.cancel()
        await #expect(throws: CancellationError.self) { try await waiting.value }
    }

    @Test("an operation's error comes through as it is")
    func operationError() async throws {
        struct Refused: Error {}
        await #expect(throws: Refused.self) {
            try await withDeadline(.seconds(30), waitingFor: "a refusal") { throw Refused() }
        }
    }
}
