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

@Suite("Activity ingestion: what a key may send")
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
                resourceID: harness.otherManager.uuidString.lowercased(),
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
}
