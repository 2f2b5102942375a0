import NIOCore
import NIOPosix
import Synchronization

/// Ends requests that run past their deadline: one process-wide table swept by one repeating timer, so a
/// request costs an insert and a removal under a lock rather than a timer or a task of its own. A deadline is
/// noticed up to one ``sweepInterval`` late.
///
/// A request runs in its connection's task. Past its deadline the sweeper first runs the watch's `expire`
/// (which answers the client directly on the connection), then cancels that task so the handler stops; both
/// happen under the table's lock, so once ``release(_:)`` says the deadline passed, the task is already
/// cancelled and nothing the handler still returns can reach the connection.
final class RequestDeadlines: Sendable {
    /// The table every ``ServiceResponder`` of the process uses.
    static let shared = RequestDeadlines(sweepInterval: .milliseconds(100))

    /// The task a watch cancels. `UnsafeCurrentTask` may be used outside `withUnsafeCurrentTask` only while
    /// the task is alive: a watch is released (under the lock) before its request returns, and the sweeper
    /// cancels only watches still in the table, under the same lock.
    private struct WatchedTask: @unchecked Sendable {
        let task: UnsafeCurrentTask?
    }

    private struct Entry: Sendable {
        var deadline: ContinuousClock.Instant
        var task: WatchedTask
        var expire: @Sendable () -> Void
    }

    let sweepInterval: TimeAmount
    private let entries = Mutex<[UInt64: Entry]>([:])
    private let nextID = Atomic<UInt64>(0)
    private let sweeper = Mutex<RepeatedTask?>(nil)

    init(sweepInterval: TimeAmount) {
        self.sweepInterval = sweepInterval
        sweeper.withLock { sweeper in
            sweeper = MultiThreadedEventLoopGroup.singleton.next().scheduleRepeatedTask(
                initialDelay: sweepInterval,
                delay: sweepInterval
            ) { [weak self] _ in self?.sweep() }
        }
    }

    /// Watches the current task until `deadline`: past it, `expire` runs and the task is cancelled, unless
    /// ``release(_:)`` comes first. `expire` runs under the table's lock: it must only start work (such as a
    /// write on a channel), never wait. Returns the watch's id.
    func watch(until deadline: ContinuousClock.Instant, expire: @escaping @Sendable () -> Void) -> UInt64 {
        let id = nextID.wrappingAdd(1, ordering: .relaxed).oldValue
        let task = withUnsafeCurrentTask { WatchedTask(task: $0) }
        entries.withLock { $0[id] = Entry(deadline: deadline, task: task, expire: expire) }
        return id
    }

    /// Ends the watch `id`; false when its deadline had already passed (its `expire` ran and its task is
    /// cancelled).
    func release(_ id: UInt64) -> Bool {
        entries.withLock { $0.removeValue(forKey: id) } != nil
    }

    private func sweep() {
        let now = ContinuousClock.now
        entries.withLock { entries in
            for (id, entry) in entries where entry.deadline <= now {
                entries[id] = nil
                entry.expire()
                entry.task.task?.cancel()
            }
        }
    }
}
