import Foundation
import Logging
import ServiceKit
import ServiceLifecycle

/// Where the scheduler stands with the set it currently wants: which day and period (before or after the
/// publication time), whether that check is done, and when to try again.
package struct SchedulerProgress: Sendable, Equatable {
    package var target: CalendarDay?
    package var afterPublication = false
    package var concluded = false
    package var attempts = 0
    package var nextAttempt: Date?

    package init() {}
}

/// What one scheduler step did.
package enum SchedulerStep: Sendable, Equatable {
    /// Another replica holds the lease; this one only watches.
    case follower
    /// Nothing due yet.
    case waiting
    /// The wanted set is stored (now or already); nothing more to do until the next period.
    case concluded(LoadOutcome?)
    /// CBR answered but the wanted set has not appeared yet; tries again at the date.
    case retrying(LoadOutcome, at: Date)
    /// The load failed; tries again at the date.
    case failed(String, at: Date)
}

/// Loads exchange rates on its own, on one replica at a time (a Redis lease, renewed while held):
///
/// - at start, with an empty table, backfills `RATES_BACKFILL_DAYS` before readiness passes (bounded by
///   `RATES_STARTUP_TIMEOUT`; when CBR is unreachable it becomes ready anyway and `status` says why);
/// - before the publication time (Moscow), confirms today's set once (a Saturday set answers for Sunday);
/// - from the publication time on, asks for tomorrow's set and retries with back-off and jitter until it
///   appears, unless tomorrow is a Sunday or Monday, for which CBR publishes no set;
/// - every load walks back over missed days (see ``RatesLoader/sync(target:floor:keepLease:)``).
package struct RatesScheduler: Service {
    private let loader: RatesLoader
    private let database: Database
    private let store: RatesStore
    private let lease: RedisLease
    private let calendar: RatesCalendar
    private let clock: any WallClock
    private let settings: RatesSettings
    private let gate: InitialLoadGate
    private let logger: Logger

    package init(
        loader: RatesLoader,
        database: Database,
        store: RatesStore,
        lease: RedisLease,
        calendar: RatesCalendar,
        clock: any WallClock,
        settings: RatesSettings,
        gate: InitialLoadGate,
        logger: Logger
    ) {
        self.loader = loader
        self.database = database
        self.store = store
        self.lease = lease
        self.calendar = calendar
        self.clock = clock
        self.settings = settings
        self.gate = gate
        self.logger = logger
    }

    /// The scheduler's whole life (from when the migrations are applied): loads at start-up, then steps until
    /// shutdown and gives the lease up.
    package func run() async throws {
        await startUp()
        var progress = SchedulerProgress()
        while !Task.isShuttingDownGracefully {
            let step = await self.step(&progress)
            await sleepUnlessShuttingDown(for: delay(after: step, progress: progress, now: clock.now()))
        }
        do {
            try await lease.release()
        } catch {
            logger.warning("cannot release the rates scheduler lease", metadata: ["error": "\(error)"])
        }
    }

    // MARK: - Start-up

    /// The first load: backfills an empty table, then opens the readiness gate; the gate also opens after
    /// `RATES_STARTUP_TIMEOUT` even if the load is still running.
    package func startUp() async {
        let (gate, timeout) = (self.gate, settings.startupTimeout)
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                await sleepUnlessShuttingDown(for: timeout)
                await gate.open()
            }
            await initialLoad()
            await gate.open()
            group.cancelAll()
        }
    }

    /// Backfills when nothing is stored, under the lease; a replica without the lease waits for the one
    /// that has it until data appears, the holder's load is seen failing, or the gate opens.
    private func initialLoad() async {
        let started = clock.now()
        while !Task.isShuttingDownGracefully, await !gate.isOpen {
            do {
                let (stored, status) = try await database.withConnection { connection in
                    (try await store.hasAnySet(on: connection), try await store.status(on: connection))
                }
                if stored { return }
                if let status, status.lastAttemptFailed,
                    let attempt = status.lastAttemptAt, attempt >= started
                {
                    return
                }
                if try await lease.acquire() {
                    let now = clock.now()
                    let outcome = try await loader.sync(
                        target: calendar.target(at: now),
                        floor: calendar.day(of: now).adding(days: -settings.backfillDays),
                        keepLease: { [lease] in try await lease.acquire() }
                    )
                    logger.info(
                        "initial exchange rates loaded",
                        metadata: ["rates.sets": "\(outcome.newSets.count)", "rates.date": "\(outcome.answered)"]
                    )
                    return
                }
            } catch {
                logger.warning(
                    "initial exchange-rate load failed; ready without it, the scheduler retries",
                    metadata: ["error": "\(error)"]
                )
                return
            }
            await sleepUnlessShuttingDown(for: .milliseconds(250))
        }
    }

    // MARK: - Daily loads

    /// One pass: renews (or takes) the lease and, when a check is due, loads the set wanted now.
    package func step(_ progress: inout SchedulerProgress) async -> SchedulerStep {
        do {
            guard try await lease.acquire() else { return .follower }
        } catch {
            logger.warning("rates scheduler cannot reach its lease", metadata: ["error": "\(error)"])
            return .follower
        }
        let now = clock.now()
        let target = calendar.target(at: now)
        let afterPublication = calendar.isAfterPublication(now)
        if progress.target != target || progress.afterPublication != afterPublication {
            progress = SchedulerProgress()
            progress.target = target
            progress.afterPublication = afterPublication
        }
        if progress.concluded { return .waiting }
        if let next = progress.nextAttempt, now < next { return .waiting }
        do {
            if try await database.withConnection({ try await store.setDate(answering: target, on: $0) }) == target {
                progress.concluded = true
                return .concluded(nil)
            }
            let outcome = try await loader.sync(
                target: target,
                floor: calendar.day(of: now).adding(days: -settings.backfillDays),
                keepLease: { [lease] in try await lease.acquire() }
            )
            if outcome.answered == target || !afterPublication || !calendar.mayHaveSet(target) {
                progress.concluded = true
                return .concluded(outcome)
            }
            let retry = scheduleRetry(&progress, now: now)
            logger.debug("tomorrow's exchange rates are not published yet", metadata: ["rates.target": "\(target)"])
            return .retrying(outcome, at: retry)
        } catch is LeaseLost {
            return .follower
        } catch {
            let retry = scheduleRetry(&progress, now: now)
            logger.warning(
                "exchange-rate load failed; retrying",
                metadata: ["error": "\(error)", "rates.target": "\(target)", "rates.retry_at": "\(retry)"]
            )
            return .failed("\(error)", at: retry)
        }
    }

    /// Counts a try that did not conclude and sets the next one after an exponential back-off with jitter.
    private func scheduleRetry(_ progress: inout SchedulerProgress, now: Date) -> Date {
        progress.attempts += 1
        let delay = Backoff.delay(attempt: progress.attempts, base: settings.retryDelay, cap: settings.retryMaxDelay)
        let next = now.addingTimeInterval(Double(delay.milliseconds) / 1000)
        progress.nextAttempt = next
        return next
    }

    /// How long to sleep after `step`: until the next attempt or the next period, but never longer than a
    /// third of the lease, so the holder renews it in time and a follower notices when it is free.
    package func delay(after step: SchedulerStep, progress: SchedulerProgress, now: Date) -> Duration {
        let renewal = settings.leaseTTL / 3
        let wakeUp: Date
        switch step {
        case .follower:
            return renewal
        case .waiting, .concluded, .retrying, .failed:
            wakeUp = progress.concluded ? calendar.nextChange(after: now) : (progress.nextAttempt ?? now)
        }
        let milliseconds = max(Int64(wakeUp.timeIntervalSince(now) * 1000), 10)
        return min(.milliseconds(milliseconds), renewal)
    }
}
