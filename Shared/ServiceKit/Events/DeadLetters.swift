import Contracts
import Foundation
import Logging
import NIOCore
import NIOFoundationEssentialsCompat

/// The dead-letter stream for an operator: what is in it and why, and replaying entries into the event stream
/// once their cause is fixed (`activity dead-letters`).
///
/// A replay adds the entry's original fields (`id`, `type`, `origin`, `envelope`) to the event stream and
/// deletes it from the dead letters, in one script: never both copies, never neither. The replayed entry
/// reaches every consumer group again, the ones that had applied it too; consumers apply an event once
/// however often it comes (activity skips an event id it has, the dashboard a version it has seen), so a
/// replay is safe. An event dead-lettered by two groups is added once: its second letter is only deleted.
/// Every replay is logged.
package struct DeadLetters: Sendable {
    private let redis: RedisClient
    private let events: EventsSettings
    private let logger: Logger

    package init(redis: RedisClient, events: EventsSettings, logger: Logger) {
        self.redis = redis
        self.events = events
        self.logger = logger
    }

    /// One dead letter, as the consumer that gave up on it wrote it.
    package struct Letter: Sendable, Equatable {
        /// Its id in the dead-letter stream.
        package var id: String
        package var eventID: String?
        package var type: String?
        package var group: String?
        package var reason: String?
        package var deliveries: String?
        package var failedAt: String?
        /// Whether it still holds the event (not when the event was trimmed from the stream before).
        package var replayable: Bool
    }

    /// What replaying one letter did.
    package enum Outcome: Sendable, Equatable {
        /// Added to the event stream under `entryID`, and deleted from the dead letters.
        case replayed(entryID: String)
        /// The same event was replayed just before from another group's letter: this one is only deleted.
        case alreadyReplayed
        /// No such letter (replayed or deleted before).
        case notFound
        /// The letter holds no event (trimmed before it was dead-lettered): left where it is.
        case nothingToReplay
    }

    /// Every letter, oldest first, `pageSize` at a time.
    package func list(pageSize: Int = 500) async throws -> [Letter] {
        var letters: [Letter] = []
        var start = "-"
        while true {
            let page = try await redis.streamRange(events.deadLetterStream, start: start, count: pageSize)
            letters += page.map(Self.letter)
            guard page.count == pageSize, let last = page.last else { return letters }
            start = "(" + last.id
        }
    }

    /// Replays the letters `ids` in order (every letter when nil), and says what became of each.
    package func replay(_ ids: [String]? = nil) async throws -> [(id: String, outcome: Outcome)] {
        // Every letter is read once: by the listing, or one by one when named.
        var letters: [(id: String, letter: Letter?)] = []
        if let ids {
            for id in ids {
                let found = try await redis.streamRange(events.deadLetterStream, start: id, end: id, count: 1).first
                letters.append((id, found.map(Self.letter)))
            }
        } else {
            letters = try await list().map { ($0.id, $0) }
        }
        var replayedEvents: Set<String> = []
        var outcomes: [(String, Outcome)] = []
        for (id, letter) in letters {
            guard let letter else {
                outcomes.append((id, .notFound))
                continue
            }
            if let event = letter.eventID, replayedEvents.contains(event) {
                _ = try await redis.integer(RedisCommand("XDEL", [.string(events.deadLetterStream), .string(id)]))
                outcomes.append((id, .alreadyReplayed))
                continue
            }
            let reply = try await redis.evaluate(
                Self.replayScript,
                keys: [events.deadLetterStream, events.stream],
                arguments: [.string(id), .int(events.maxLength)]
            )
            let outcome: Outcome
            switch reply.string {
            case "missing": outcome = .notFound
            case "empty": outcome = .nothingToReplay
            case let entryID?: outcome = .replayed(entryID: entryID)
            case nil: throw RedisError.unexpectedReply("dead-letter replay: \(reply)")
            }
            if case .replayed(let entryID) = outcome {
                if let event = letter.eventID { replayedEvents.insert(event) }
                logger.notice(
                    "dead letter replayed",
                    metadata: [
                        "events.dead_letter_id": "\(id)", "events.entry_id": "\(entryID)",
                        "event.id": "\(letter.eventID ?? "")", "event.type": "\(letter.type ?? "")",
                        "consumer.group": "\(letter.group ?? "")", "events.reason": "\(letter.reason ?? "")",
                    ]
                )
            }
            outcomes.append((id, outcome))
        }
        return outcomes
    }

    /// KEYS: the dead letters, the event stream. ARGV: the letter's id, the stream's approximate length cap.
    /// Returns the new entry's id, `missing` or `empty`.
    static let replayScript = RedisScript(
        """
        local found = redis.call('XRANGE', KEYS[1], ARGV[1], ARGV[1])[1]
        if not found then return 'missing' end
        local fields, entry, envelope = found[2], {KEYS[2], 'MAXLEN', '~', ARGV[2], '*'}, false
        for i = 1, #fields, 2 do
            local name = fields[i]
            if name == 'id' or name == 'type' or name == 'origin' or name == 'envelope' then
                table.insert(entry, name)
                table.insert(entry, fields[i + 1])
                if name == 'envelope' then envelope = true end
            end
        end
        if not envelope then return 'empty' end
        local added = redis.call('XADD', unpack(entry))
        redis.call('XDEL', KEYS[1], ARGV[1])
        return added
        """
    )

    private static func letter(_ entry: StreamEntry) -> Letter {
        func text(_ name: String) -> String? { entry[field: name].map { String(buffer: $0) } }
        // A letter written while its event was being applied has no `id` and `type` fields: the envelope does.
        let named = entry[field: "envelope"].flatMap { try? ContractJSON.makeDecoder().decode(Named.self, from: $0) }
        return Letter(
            id: entry.id,
            eventID: text("id") ?? named?.id,
            type: text("type") ?? named?.type,
            group: text("group"),
            reason: text("reason"),
            deliveries: text("deliveries"),
            failedAt: text("failed_at"),
            replayable: entry[field: "envelope"] != nil
        )
    }

    /// What a letter's envelope says it is.
    private struct Named: Decodable {
        var id: String?
        var type: String?
    }
}
