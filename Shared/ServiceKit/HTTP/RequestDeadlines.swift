import NIOCore
import NIOPosix
import Synchronization

/// Cancels requests that run past their deadline: one process-wide table swept by one repeating timer, so a
/// request costs an insert and a removal under a lock rather than a timer of its own. A deadline is noticed
/// up to one ``sweepInterval`` late.
final class RequestDeadlines: Sendable {
    /// The table every ``ServiceResponder`` of the process uses.
    static let shared = RequestDeadlines(sweepInterval: .milliseconds(100))

    private struct Entry {
        var deadline: ContinuousClock.Instant
        var cancel: @Sendable () -> Void
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

    /// Calls `cancel` once `deadline` has passed, unless ``release(_:)`` comes first; returns the watch's id.
    func watch(until deadline: ContinuousClock.Instant, cancel: @escaping @Sendable () -> Void) -> UInt64 {
        let id = nextID.wrappingAdd(1, ordering: .relaxed).oldValue
        entries.withLock { $0[id] = Entry(deadline: deadline, cancel: cancel) }
        return id
    }

    /// Ends the watch `id`; false when its deadline had already passed (and `cancel` was called).
    func release(_ id: UInt64) -> Bool {
        entries.withLock { $0.removeValue(forKey: id) } != nil
    }

    private func sweep() {
        let now = ContinuousClock.now
        let overdue = entries.withLock { entries -> [Entry] in
            let overdue = entries.filter { $0.value.deadline <= now }
            for id in overdue.keys { entries[id] = nil }
            return Array(overdue.values)
        }
        for entry in overdue { entry.cancel() }
    }
}
