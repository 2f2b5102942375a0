import Synchronization

/// Runs `operation` and returns its result, or throws ``DeadlineExceeded`` naming `what` once `timeout` has
/// passed, whichever comes first; the other is cancelled.
///
/// The caller gets control back at the deadline even when `operation` ignores cancellation: it runs in a
/// task of its own, not as a child the caller would have to wait for. That is the point of a deadline: a
/// wait that may never end (a server that never comes to listen, a probe stuck on a dead socket) ends with a
/// message saying what it waited for, instead of holding the caller forever.
package func withDeadline<Result: Sendable>(
    _ timeout: Duration,
    waitingFor what: String,
    _ operation: @escaping @Sendable () async throws -> Result
) async throws -> Result {
    let outcome = FirstOutcome<Result>()
    let work = Task {
        do {
            outcome.settle(.success(try await operation()))
        } catch {
            outcome.settle(.failure(error))
        }
    }
    let timer = Task {
        do {
            try await Task.sleep(for: timeout)
            outcome.settle(.failure(DeadlineExceeded(what: what, timeout: timeout)))
        } catch {
            // Cancelled: the operation ended first, or the caller was cancelled.
        }
    }
    defer {
        work.cancel()
        timer.cancel()
    }
    return try await withTaskCancellationHandler {
        try await outcome.value()
    } onCancel: {
        outcome.settle(.failure(CancellationError()))
    }
}

/// An operation did not finish within its deadline.
package struct DeadlineExceeded: Error, CustomStringConvertible {
    /// What was waited for, in words (`the fake CBR's port`, `the postgres check`).
    package var what: String
    package var timeout: Duration
    package var description: String { "no answer from \(what) within \(timeout)" }
}

/// The first of several outcomes offered by racing tasks; later ones are ignored. Its one waiter is resumed
/// exactly once, whether it starts waiting before or after the outcome is known.
private final class FirstOutcome<Value: Sendable>: Sendable {
    private enum State {
        case pending(CheckedContinuation<Value, any Error>?)
        case settled(Result<Value, any Error>)
    }

    private let state = Mutex(State.pending(nil))

    /// Offers `result`; only the first offer counts.
    func settle(_ result: Result<Value, any Error>) {
        let waiter = state.withLock { state -> CheckedContinuation<Value, any Error>? in
            guard case .pending(let waiter) = state else { return nil }
            state = .settled(result)
            return waiter
        }
        waiter?.resume(with: result)
    }

    /// The first outcome, once there is one.
    func value() async throws -> Value {
        try await withCheckedThrowingContinuation { continuation in
            let known = state.withLock { state -> Result<Value, any Error>? in
                switch state {
                case .pending:
                    state = .pending(continuation)
                    return nil
                case .settled(let result):
                    return result
                }
            }
            if let known { continuation.resume(with: known) }
        }
    }
}
