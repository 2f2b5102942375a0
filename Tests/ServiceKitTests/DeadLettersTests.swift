import Contracts
import Foundation
import NIOCore
import ServiceKit
import TestSupport
import Testing

@Suite("Dead letters: listing and replaying (real Postgres and Redis)")
struct DeadLettersTests {
    @Test("an event dead-lettered by a failing handler is applied once when replayed after the handler is fixed")
    func replayAfterFix() async throws {
        try await IsolatedEnvironment.with { environment in
            try await environment.withDatabase { database in
                try await EventPipelineTests.prepare(database)
                try await TestInfrastructure.withRedis { redis in
                    let events = environment.events(maxDeliveries: 1, retryInterval: .milliseconds(50))
                    try await redis.streamCreateGroup(environment.stream, group: "testers")
                    let poison = EventPipelineTests.event("test.poison")
                    let good = EventPipelineTests.event()
                    for event in [poison, good] {
                        try await EventPipelineTests.add(event, redis: redis, environment: environment)
                    }
                    let failing = EventPipelineTests.consumer(
                        redis,
                        database,
                        environment,
                        events: events,
                        poison: ["test.poison"]
                    )
                    try await withRunningServices([failing]) {
                        try await eventually("dead-lettered") {
                            try await redis.streamLength(environment.deadLetterStream) == 1
                        }
                    }
                    let deadLetters = DeadLetters(redis: redis, events: events, logger: TestInfrastructure.logger("dl"))
                    let letters = try await deadLetters.list()
                    #expect(letters.count == 1)
                    let letter = try #require(letters.first)
                    #expect(letter.eventID == poison.id.wireString)
                    #expect(letter.type == "test.poison")
                    #expect(letter.group == "testers")
                    #expect(letter.reason?.contains("Poison") == true)
                    #expect(letter.replayable)

                    // The handler is fixed: the same consumer group, without the poison.
                    let fixed = EventPipelineTests.consumer(redis, database, environment, events: events)
                    try await withRunningServices([fixed]) {
                        let outcomes = try await deadLetters.replay([letter.id])
                        #expect(outcomes.count == 1)
                        guard case .replayed = outcomes.first?.outcome else {
                            Issue.record("not replayed: \(outcomes)")
                            return
                        }
                        try await eventually("the replayed event applied") {
                            try await TableHandler.applied(database).rows == 2
                        }
                        try await eventually("acknowledged") {
                            try await redis.streamPendingCount(environment.stream, group: "testers") == 0
                        }
                    }
                    #expect(try await TableHandler.applied(database).applications == 2, "each event once")
                    #expect(try await deadLetters.list().isEmpty)
                    #expect(try await deadLetters.replay([letter.id]).first?.outcome == .notFound)
                }
            }
        }
    }

    @Test("replaying everything adds an event dead-lettered by two groups once, and keeps letters without one")
    func replayAll() async throws {
        try await IsolatedEnvironment.with { environment in
            try await TestInfrastructure.withRedis { redis in
                let events = environment.events()
                let event = EventPipelineTests.event()
                let envelope = String(decoding: try ContractJSON.makeEncoder().encode(event), as: UTF8.self)
                for group in ["first", "second"] {
                    _ = try await redis.streamAdd(
                        events.deadLetterStream,
                        fields: [
                            StreamField("id", event.id.wireString), StreamField("type", event.type),
                            StreamField("origin", "activity"), StreamField("envelope", envelope),
                            StreamField("original_id", "1-1"), StreamField("group", group),
                            StreamField("reason", "failed on every delivery"),
                        ]
                    )
                }
                _ = try await redis.streamAdd(
                    events.deadLetterStream,
                    fields: [
                        StreamField("original_id", "1-2"), StreamField("group", "first"), StreamField("reason", "x"),
                    ]
                )
                let deadLetters = DeadLetters(redis: redis, events: events, logger: TestInfrastructure.logger("dl"))
                let outcomes = try await deadLetters.replay().map(\.outcome)
                #expect(outcomes.count == 3)
                guard case .replayed(let entryID) = outcomes[0] else {
                    Issue.record("not replayed: \(outcomes)")
                    return
                }
                #expect(outcomes[1] == .alreadyReplayed)
                #expect(outcomes[2] == .nothingToReplay)
                let replayed = try await redis.streamRange(events.stream)
                #expect(replayed.map(\.id) == [entryID], "the event once")
                #expect(replayed.first?[field: "envelope"] == ByteBuffer(string: envelope), "byte for byte")
                #expect(replayed.first?[field: "origin"] == ByteBuffer(string: "activity"))
                #expect(try await deadLetters.list().map(\.replayable) == [false], "the letter without an event stays")
            }
        }
    }
}
