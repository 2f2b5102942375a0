import AsyncAlgorithms
import Contracts
import Foundation
import Logging
import ServiceKit
import ServiceLifecycle

/// Deletes entries older than `ACTIVITY_RETENTION_DAYS`, once per `ACTIVITY_RETENTION_INTERVAL` (first run a
/// minute after start), in small batches so the table stays available; one replica at a time, under a lease.
struct RetentionJob: Service {
    let database: Database
    let store: ActivityEntryStore
    let clock: any WallClock
    let lease: RedisLease
    let retentionDays: Int
    let interval: Duration
    let logger: Logger
    static let batchSize = 1000

    func run() async throws {
        await sleepUnlessShuttingDown(for: min(interval, .seconds(60)))
        guard !Task.isShuttingDownGracefully else { return }
        _ = try? await runOnce()
        for await _ in AsyncTimerSequence(interval: interval, clock: .continuous).cancelOnGracefulShutdown() {
            _ = try? await runOnce()
        }
    }

    /// One pass: deletes every expired entry, batch by batch; returns how many.
    @discardableResult
    func runOnce() async throws -> Int {
        let now = clock.now()
        do {
            guard try await lease.acquire() else { return 0 }
        } catch {
            logger.warning("retention skipped: no lease", metadata: ["error": "\(error)"])
            throw error
        }
        let cutoff = now.addingTimeInterval(-Double(retentionDays) * 86_400)
        var total = 0
        do {
            while !Task.isShuttingDownGracefully {
                let deleted = try await database.withConnection { connection in
                    try await store.deleteEntries(before: cutoff, limit: Self.batchSize, on: connection)
                }
                total += deleted
                if deleted < Self.batchSize { break }
                try await Task.sleep(for: .milliseconds(20))
            }
        } catch {
            logger.warning("retention interrupted", metadata: ["error": "\(error)", "activity.deleted": "\(total)"])
        }
        try? await lease.release()
        if total > 0 {
            logger.info(
                "old activity entries deleted",
                metadata: ["activity.deleted": "\(total)", "activity.cutoff": "\(Timestamp.format(cutoff))"]
            )
        }
        return total
    }
}
