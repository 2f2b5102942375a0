import Contracts
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import NIOFoundationEssentialsCompat
import ServiceKit
import TestSupport
import Testing

@testable import ActivityApp

@Suite("Activity ingestion: what a key may send, and limits on time and size")
struct IngestionScopeTests {
    /// `envelope` as JSON with `change` applied to its members.
    static func json(
        _ envelope: EventEnvelope,
        _ change: (inout [String: JSONValue]) -> Void = { _ in }
    ) throws
        -> JSONValue
    {
        guard case .object(var members) = try JSONValue(encoding: envelope) else { return .null }
        change(&members)
        return .object(members)
    }

    static func body(_ values: [JSONValue]) throws -> Data {
        try ContractJSON.makeEncoder().encode(JSONValue.array(values))
    }

    static func problem(_ response: TestResponse) throws -> (Problem, [String: String]) {
        let problem = try response.decode(Problem.self)
        let errors = (problem.errors ?? []).map { ($0.field, $0.message) }
        return (problem, Dictionary(errors) { first, _ in first })
    }

    @Test("a forged rates.published claiming the rates service is refused (403) and stored nowhere")
    func forgedRates() async throws {
        try await ActivityHarness.with { harness, client in
            var forged = harness.envelope(
                type: RatesPublished.eventType,
                organization: nil,
                resourceType: "exchange_rates",
                resourceID: "2026-03-17",
                payload: try JSONValue(
                    encoding: RatesPublished(date: "2026-03-17", base: "RUB", rates: ["USD": "1.00"])
                )
            )
            forged.source = EventSource(service: "rates", instance: "rates-1")
            let response = try await harness.ingest(client, json: try ContractJSON.makeEncoder().encode(forged))
            #expect(response.status == .forbidden)
            #expect(response.headers[.contentType] == Problem.mediaType)
            let (problem, errors) = try Self.problem(response)
            #expect(problem.type == "urn:quoting:problem:ingestion-scope")
            #expect(Set(errors.keys) == ["source.service", "type"])
            #expect(errors["type"]?.contains("rates.published") == true)
            #expect(errors["type"]?.contains("quoting-core") == true)

            try await harness.barrier(client)
            let stored = try await harness.stored()
            #expect(stored.outbox == 0)
            #expect(stored.stream == 1, "only the barrier's event reached the stream")
            #expect(stored.entries == 1, "only the barrier's event was recorded")
        }
    }

    @Test("a users.* event for another organization, even from the key's own source, is refused (403)")
    func forgedUsers() async throws {
        try await ActivityHarness.with { harness, client in
            let forged = harness.envelope(
                type: "users.role_changed",
                action: .update,
                organization: harness.otherOrganization,
                resourceType: "user",
                resourceID: harness.otherManager.wireString,
                payload: ["role": "admin"]
            )
            let batch = try Self.body([try Self.json(harness.envelope()), try Self.json(forged)])
            let response = try await harness.ingest(client, json: batch)
            #expect(response.status == .forbidden)
            let (_, errors) = try Self.problem(response)
            #expect(Set(errors.keys) == ["[1].type"])
            #expect(errors["[1].type"]?.contains("users.role_changed") == true)

            try await harness.barrier(client)
            let stored = try await harness.stored()
            #expect(stored.stream == 1, "nothing of the refused batch, its good envelope included, was published")
            #expect(stored.entries == 1)
        }
    }

    @Test("another source and an unlisted type are refused by index, and a mixed batch stores nothing")
    func mixedBatch() async throws {
        try await ActivityHarness.with { harness, client in
            let good = try Self.json(harness.envelope())
            let otherSource = try Self.json(harness.envelope()) { $0["source"] = ["service": "crm"] }
            let unlisted = try Self.json(harness.envelope(type: "invoice.paid"))
            let batch = try Self.body([
                good, otherSource, unlisted, try Self.json(harness.envelope(type: "customer.created")),
            ])
            let response = try await harness.ingest(client, json: batch)
            #expect(response.status == .forbidden)
            let (problem, errors) = try Self.problem(response)
            #expect(Set(errors.keys) == ["[1].source.service", "[2].type"])
            #expect(errors["[1].source.service"]?.contains("quoting-core") == true)
            #expect(errors["[2].type"]?.contains("invoice.paid") == true)
            #expect(errors["[2].type"]?.contains("quoting-core") == true)
            #expect(problem.detail?.contains("nothing of it was stored") == true)

            try await harness.barrier(client)
            #expect(try await harness.stored().entries == 1)
        }
    }

    @Test("each key sends only for its own source and types")
    func keysDiffer() async throws {
        try await ActivityHarness.with { harness, client in
            var deal = harness.envelope(type: "deal.created", resourceType: "deal")
            deal.source = EventSource(service: "crm", instance: nil)
            let encoder = ContractJSON.makeEncoder()
            let asCRM = try await harness.ingest(client, json: try encoder.encode(deal), key: ActivityHarness.crmKey)
            #expect(asCRM.status == .accepted, "\(asCRM.text)")
            let asCore = try await harness.ingest(client, json: try encoder.encode(deal))
            #expect(asCore.status == .forbidden)
            let quote = try await harness.ingest(
                client,
                json: try encoder.encode(harness.envelope()),
                key: ActivityHarness.crmKey
            )
            #expect(quote.status == .forbidden)
            #expect(Set(try Self.problem(quote).1.keys) == ["source.service", "type"])
        }
    }

    @Test("invalid envelopes are answered 422 before any question of scope")
    func validationFirst() async throws {
        try await ActivityHarness.with { harness, client in
            let forged = try Self.json(harness.envelope(type: "rates.published")) { $0["version"] = 0 }
            let response = try await harness.ingest(client, json: try Self.body([forged]))
            #expect(response.status == .unprocessableContent)
            #expect(Set(try Self.problem(response).1.keys) == ["[0].version"])
        }
    }

    @Test("an occurred_at more than 5 minutes in the future is refused (422) by index; 4 minutes is accepted")
    func future() async throws {
        try await ActivityHarness.with { harness, client in
            let soon = try Self.json(harness.envelope(occurredAt: Date().addingTimeInterval(240)))
            let later = try Self.json(harness.envelope(occurredAt: Date().addingTimeInterval(360)))
            let response = try await harness.ingest(client, json: try Self.body([soon, later]))
            #expect(response.status == .unprocessableContent)
            #expect(Set(try Self.problem(response).1.keys) == ["[1].occurred_at"])
            #expect(try await harness.ingest(client, json: try Self.body([soon])).status == .accepted)
        }
    }

    @Test("a payload over 64 KiB is refused (422) by index, whichever reader read the envelope")
    func payloadSize() async throws {
        try await ActivityHarness.with { harness, client in
            // {"note":"…"} is 11 bytes around the text.
            let fits = try Self.json(
                harness.envelope(payload: ["note": .string(String(repeating: "a", count: 65_525))])
            )
            let large = try Self.json(
                harness.envelope(payload: ["note": .string(String(repeating: "a", count: 65_526))])
            )
            let encoder = ContractJSON.makeEncoder()
            let fast = try await harness.ingest(client, json: try Self.body([fits, large]))
            #expect(fast.status == .unprocessableContent)
            #expect(Set(try Self.problem(fast).1.keys) == ["[1].payload"])

            // An escape in a field the fast reader reads sends the batch to JSONDecoder.
            let text = String(decoding: try Self.body([fits, large]), as: UTF8.self)
                .replacingOccurrences(of: #""request_id":"req-1""#, with: #""request_id":"req\u002d1""#)
            #expect(
                EnvelopeScanner.envelopes(
                    in: Array(text.utf8),
                    elements: JSONElements.split(Array(text.utf8)) ?? [],
                    isBatch: true
                ) == nil
            )
            let general = try await harness.ingest(client, json: Data(text.utf8))
            #expect(general.status == .unprocessableContent)
            #expect(Set(try Self.problem(general).1.keys) == ["[1].payload"])

            #expect(try await harness.ingest(client, json: try encoder.encode([fits])).status == .accepted)
        }
    }

    @Test("a key given twice in an envelope is refused (422): readers disagree on which value counts")
    func repeatedKeys() async throws {
        try await ActivityHarness.with { harness, client in
            func text(_ envelope: EventEnvelope) throws -> String {
                String(decoding: try ContractJSON.makeEncoder().encode(envelope), as: UTF8.self)
            }
            // JSONDecoder reads the first `type`, Postgres the last: the scope check and the log would differ.
            let twice = try text(harness.envelope()).replacingOccurrences(
                of: #""type":"quote.created""#,
                with: #""type":"quote.created","typ\u0065":"users.role_changed""#
            )
            let nested = try text(harness.envelope()).replacingOccurrences(
                of: #""service":"quoting-core""#,
                with: #""service":"quoting-core","service":"rates""#
            )
            let response = try await harness.ingest(client, json: Data("[\(twice),\(nested)]".utf8))
            #expect(response.status == .unprocessableContent)
            #expect(Set(try Self.problem(response).1.keys) == ["[0].type", "[1].source.service"])

            try await harness.barrier(client)
            #expect(try await harness.stored().entries == 1)
        }
    }
}
