import Contracts
import Foundation
import Logging
import ServiceKit

/// What a load did: the day asked for, the effective date of the set CBR answered with, and the sets stored
/// for the first time (newest first).
package struct LoadOutcome: Sendable, Equatable {
    package var requested: CalendarDay
    package var answered: CalendarDay
    package var newSets: [CalendarDay]
}

/// The replica lost the scheduler's lease in the middle of a load; another one carries on.
package struct LeaseLost: Error, CustomStringConvertible {
    package var description: String { "the rates scheduler's lease was taken over by another replica" }
}

/// Loads CBR sets into storage, calling `changed` whenever answers change (a new set, a failure). Every request's outcome goes into the shared source status; every new set is
/// stored with its `rates.published` event in one transaction and announced on `rates.updated` after the commit.
/// Loading a set that is already stored changes nothing but the proof of how long it stayed current.
package struct RatesLoader: Sendable {
    private let client: CBRClient
    private let store: RatesStore
    private let database: Database
    private let redis: RedisClient
    private let events: EventRecorder
    private let calendar: RatesCalendar
    private let clock: any WallClock
    private let updatesChannel: String
    private let logger: Logger
    private let changed: @Sendable () async -> Void

    package init(
        client: CBRClient,
        store: RatesStore,
        database: Database,
        redis: RedisClient,
        events: EventRecorder,
        calendar: RatesCalendar,
        clock: any WallClock,
        updatesChannel: String,
        logger: Logger,
        changed: @escaping @Sendable () async -> Void = {}
    ) {
        self.client = client
        self.store = store
        self.database = database
        self.redis = redis
        self.events = events
        self.calendar = calendar
        self.clock = clock
        self.updatesChannel = updatesChannel
        self.logger = logger
        self.changed = changed
    }

    /// Loads the set effective on `target`, then walks back one set at a time (asking for the day before each
    /// new set's date) until it reaches a set already stored or a day before `floor`. So a first start backfills
    /// the window, a day's load costs one or two requests, and a replica that was down catches up without gaps.
    /// `keepLease` is asked before every request; when it answers false the load stops with ``LeaseLost``.
    package func sync(
        target: CalendarDay,
        floor: CalendarDay,
        keepLease: (@Sendable () async throws -> Bool)? = nil
    ) async throws -> LoadOutcome {
        if let keepLease, try await !keepLease() { throw LeaseLost() }
        let first = try await load(target)
        var outcome = LoadOutcome(requested: target, answered: first.date, newSets: first.isNew ? [first.date] : [])
        var cursor = first.date.adding(days: -1)
        var isNew = first.isNew
        while isNew, cursor >= floor, !Task.isCancelled {
            if let keepLease, try await !keepLease() { throw LeaseLost() }
            let next = try await load(cursor)
            isNew = next.isNew
            if isNew { outcome.newSets.append(next.date) }
            cursor = next.date.adding(days: -1)
        }
        return outcome
    }

    /// Asks CBR for `day` and stores the answer; returns the answered set's date and whether it was new.
    package func load(_ day: CalendarDay) async throws -> (date: CalendarDay, isNew: Bool) {
        let set: CBRDailySet
        do {
            set = try await client.daily(for: day)
        } catch let error as CBRError {
            do {
                let now = clock.now()
                try await database.withConnection { try await store.recordFailure(error.description, at: now, on: $0) }
            } catch {
                logger.error("cannot record the CBR failure", metadata: ["error": "\(String(reflecting: error))"])
            }
            // Answers now carry `stale`.
            await changed()
            throw error
        }
        let fetchedAt = clock.now()
        try await database.withConnection { try await store.recordSuccess(at: fetchedAt, on: $0) }
        // CBR's answer for `day` proves no newer set exists up to `day`, but only up to today: tomorrow's set
        // can still be published.
        let validThrough = max(set.date, min(day, calendar.day(of: fetchedAt)))
        let isNew = try await database.withTransaction { connection in
            let inserted = try await store.insert(
                set,
                requested: day,
                validThrough: validThrough,
                fetchedAt: fetchedAt,
                on: connection
            )
            if inserted {
                try await events.recordSystemEvent(
                    Self.published(set),
                    resource: EventResource(type: RatesPublished.resourceType, id: set.date.description),
                    on: connection
                )
            } else {
                try await store.extendValidity(of: set.date, through: validThrough, on: connection)
            }
            return inserted
        }
        if isNew {
            logger.info(
                "exchange rates stored",
                metadata: [
                    "rates.date": "\(set.date)", "rates.requested": "\(day)", "rates.currencies": "\(set.rates.count)",
                ]
            )
            await changed()
            await announce(set.date)
        }
        return (set.date, isNew)
    }

    /// The `rates.published` payload of `set`: every rate per unit as an exact decimal string.
    static func published(_ set: CBRDailySet) -> RatesPublished {
        RatesPublished(
            date: set.date.description,
            base: CurrencyCode.ruble,
            rates: Dictionary(uniqueKeysWithValues: set.rates.map { ($0.code, $0.rate.description) })
        )
    }

    /// Publishes `rates.updated` for a committed set; a lost notification only delays cache expiry.
    private func announce(_ date: CalendarDay) async {
        do {
            let message = try ContractJSON.makeEncoder().encode(RatesUpdated(date: date.description))
            try await redis.publish(.string(String(decoding: message, as: UTF8.self)), to: updatesChannel)
        } catch {
            logger.warning("cannot publish rates.updated", metadata: ["error": "\(error)", "rates.date": "\(date)"])
        }
    }
}
