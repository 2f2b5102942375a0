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

@Suite("Activity ingestion: POST /api/activity/events")
struct IngestionTests {
    @Test("a batch is accepted (202), recorded once even when sent twice")
    func acceptsAndIsIdempotent() async throws {
        try await ActivityHarness.with { harness, client in
            let envelopes = (0..<30).map { index in harness.envelope(resourceID: "Q-\(index)") }
            let body = try ContractJSON.makeEncoder().encode(envelopes)
            let response = try await harness.ingest(client, json: body)
            #expect(response.status == .accepted)
            let receipt = try response.decode(IngestionReceipt.self)
            #expect(receipt.accepted == 30)
            #expect(receipt.ids == envelopes.map(\.id))
            #expect(try await harness.ingest(client, json: body).status == .accepted)
            let admin = try await harness.token(harness.admin, role: .admin)
            try await eventually { try await harness.list(client, "", token: admin).total == 30 }
            try await Task.sleep(for: .milliseconds(300))
            #expect(try await harness.list(client, "", token: admin).total == 30)
        }
    }

    @Test("a single envelope (not an array) is accepted")
    func single() async throws {
        try await ActivityHarness.with { harness, client in
            let response = try await harness.ingest(
                client,
                json: try ContractJSON.makeEncoder().encode(harness.envelope())
            )
            #expect(response.status == .accepted)
        }
    }

    @Test("without the right key: 401")
    func needsKey() async throws {
        try await ActivityHarness.with { harness, client in
            let body = try ContractJSON.makeEncoder().encode(harness.envelope())
            #expect(try await harness.ingest(client, json: body, key: nil).status == .unauthorized)
            #expect(try await harness.ingest(client, json: body, key: "wrong-key-wrong-key").status == .unauthorized)
            let user = try await harness.token(harness.admin, role: .admin)
            let response = try await client.execute(
                uri: "/api/activity/events",
                method: .post,
                headers: .authorized(user),
                body: ByteBuffer(data: body)
            )
            #expect(response.status == .unauthorized, "a user token is not an ingestion credential")
        }
    }

    @Test("invalid envelopes: 422 with every problem by index, and nothing recorded")
    func allOrNothing() async throws {
        try await ActivityHarness.with { harness, client in
            let good = try JSONValue(encoding: harness.envelope())
            var badType = try JSONValue(encoding: harness.envelope())
            var missingID = try JSONValue(encoding: harness.envelope())
            var badAction = try JSONValue(encoding: harness.envelope())
            if case .object(var members) = badType {
                members["type"] = "Not A Type"
                members["payload"] = "text"
                badType = .object(members)
            }
            if case .object(var members) = missingID {
                members["id"] = nil
                missingID = .object(members)
            }
            if case .object(var members) = badAction {
                members["action"] = "explode"
                badAction = .object(members)
            }
            let body = try ContractJSON.makeEncoder().encode(JSONValue.array([good, badType, missingID, badAction]))
            let response = try await harness.ingest(client, json: body)
            #expect(response.status == .unprocessableContent)
            let problem = try response.decode(Problem.self)
            let fields = Set(problem.errors?.map(\.field) ?? [])
            #expect(fields == ["[1].type", "[1].payload", "[2].id", "[3].action"])

            try await Task.sleep(for: .milliseconds(200))
            let admin = try await harness.token(harness.admin, role: .admin)
            #expect(try await harness.list(client, "", token: admin).total == 0)
        }
    }

    @Test("a NUL in an envelope, which Postgres' jsonb cannot hold, is refused with its index")
    func nul() async throws {
        try await ActivityHarness.with { harness, client in
            let encoder = ContractJSON.makeEncoder()
            let good = String(decoding: try encoder.encode(harness.envelope(payload: ["note": "fine"])), as: UTF8.self)
            let bad = String(decoding: try encoder.encode(harness.envelope(payload: ["note": "x"])), as: UTF8.self)
                .replacingOccurrences(of: #""note":"x""#, with: #""note":"a\u0000b""#)
            let escaped = String(
                decoding: try encoder.encode(harness.envelope(payload: ["path": "C:\\u0000"])),
                as: UTF8.self
            )
            let response = try await harness.ingest(client, json: Data("[\(good),\(bad),\(escaped)]".utf8))
            #expect(response.status == .unprocessableContent)
            let fields = try response.decode(Problem.self).errors?.map(\.field)
            #expect(fields == ["[1]"], "a literal backslash before u0000 is fine")
            let admin = try await harness.token(harness.admin, role: .admin)
            try await client.execute(
                uri: "/api/activity-logs?resource_type=%00",
                method: .get,
                headers: .authorized(admin)
            ) {
                response in
                #expect(response.status == .unprocessableContent)
            }
        }
    }

    @Test("members an envelope does not define are refused by name, at any level, and nothing is recorded")
    func unknownMembers() async throws {
        try await ActivityHarness.with { harness, client in
            let envelope = String(decoding: try ContractJSON.makeEncoder().encode(harness.envelope()), as: UTF8.self)
            let other = String(decoding: try ContractJSON.makeEncoder().encode(harness.envelope()), as: UTF8.self)
            let extended = other.replacingOccurrences(
                of: #""source":{"#,
                with: #""extra":1,"source":{"region":"eu","#
            )
            .replacingOccurrences(of: #""resource":{"#, with: #""resource":{"name":"x","#)
            #expect(extended != envelope)
            let response = try await harness.ingest(client, json: Data("[\(envelope),\(extended)]".utf8))
            #expect(response.status == .unprocessableContent)
            let problem = try response.decode(Problem.self)
            #expect(problem.errors?.map(\.field) == ["[1].extra", "[1].resource.name", "[1].source.region"])
            #expect(problem.errors?.first?.message == "is not a member of an event envelope")
            #expect(try await harness.stored().outbox == 0)
        }
    }

    @Test("a version longer than an integer holds is a 422 naming its envelope, and the service keeps answering")
    func hugeVersion() async throws {
        try await ActivityHarness.with { harness, client in
            let envelope = String(decoding: try ContractJSON.makeEncoder().encode(harness.envelope()), as: UTF8.self)
                .replacingOccurrences(of: #""version":1"#, with: #""version":526270272395040570474496"#)
            #expect(envelope.contains("526270272395040570474496"))
            let response = try await harness.ingest(client, json: Data("[\(envelope)]".utf8))
            #expect(response.status == .unprocessableContent)
            let problem = try response.decode(Problem.self)
            #expect(problem.errors?.map(\.field) == ["[0]"], "\(problem)")
            let again = try await harness.ingest(client, json: Data("[\(envelope)]".utf8))
            #expect(again.status == .unprocessableContent)
        }
    }

    @Test("malformed JSON is 400; an empty, oversized or duplicated batch is 422")
    func shapes() async throws {
        try await ActivityHarness.with { harness, client in
            #expect(try await harness.ingest(client, json: Data("[{".utf8)).status == .badRequest)
            #expect(try await harness.ingest(client, json: Data("42".utf8)).status == .badRequest)
            #expect(try await harness.ingest(client, json: Data("[]".utf8)).status == .unprocessableContent)
            let many = (0..<1001).map { _ in harness.envelope() }
            #expect(
                try await harness.ingest(client, json: try ContractJSON.makeEncoder().encode(many)).status
                    == .unprocessableContent
            )
            let twice = harness.envelope()
            let duplicated = try await harness.ingest(
                client,
                json: try ContractJSON.makeEncoder().encode([twice, twice])
            )
            #expect(duplicated.status == .unprocessableContent)
        }
    }
}

@Suite("Envelope validation rules")
struct EnvelopeValidatorTests {
    @Test(
        "event types follow the schema's pattern",
        arguments: [
            ("quote.created", true), ("users.profile_updated", true), ("a.b.c", true), ("quote2.v2_done", true),
            ("quote", false), ("Quote.created", false), ("quote.", false), (".quote", false), ("quote..x", false),
            ("quote.1x", false), ("quote-created.x", false), ("", false),
            (String(repeating: "a.", count: 60) + "b", false),
        ]
    )
    func eventTypes(type: String, valid: Bool) {
        #expect(EnvelopeValidator.isEventType(type) == valid)
    }

    @Test("array elements are found without parsing, strings and nesting respected")
    func splitting() {
        let text = #" [ {"a":"x,]}\"y"} , {"b":[1,{"c":2}]},{}  ] "#
        let bytes = Array(text.utf8)
        let ranges = JSONElements.split(bytes)
        #expect(
            ranges?.map { String(decoding: bytes[$0], as: UTF8.self) } == [
                #"{"a":"x,]}\"y"}"#, #"{"b":[1,{"c":2}]}"#, "{}",
            ]
        )
        #expect(JSONElements.split(Array("{}".utf8)) == nil)
        #expect(JSONElements.split(Array("[{}".utf8)) == nil)
        #expect(JSONElements.split(Array("[]".utf8)) == [])
    }

    @Test("object members are found with their keys unescaped and their values' exact bytes")
    func members() throws {
        let text = #" {"a" : "x,}\"y", "typ\u0065":[1,{"b":"]"}] ,"n":-1.5e3,"o":{},"a":null} "#
        let bytes = Array(text.utf8)
        let members = try #require(JSONElements.members(bytes, in: bytes.indices))
        #expect(members.map(\.key) == ["a", "type", "n", "o", "a"])
        #expect(
            members.map { String(decoding: bytes[$0.value], as: UTF8.self) } == [
                #""x,}\"y""#, #"[1,{"b":"]"}]"#, "-1.5e3", "{}", "null",
            ]
        )
        #expect(JSONElements.members(Array("[1]".utf8), in: 0..<3) == nil)
        #expect(JSONElements.members(Array("{}".utf8), in: 0..<2)?.isEmpty == true)
    }
}
