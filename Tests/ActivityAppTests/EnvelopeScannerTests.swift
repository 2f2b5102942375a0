import Contracts
import Foundation
import Testing

@testable import ActivityApp

@Suite("Ingestion's fast envelope reader agrees with JSONDecoder")
struct EnvelopeScannerTests {
    static let usual = #"""
        {"id": "7d4f5a3e-2b1c-4d0e-9f8a-6b5c4d3e2f1a", "type": "quote.created", "version": 1,
         "occurred_at": "2026-04-25T10:00:00.123Z", "source": {"service": "core", "instance": "core-1"},
         "organization_id": "00000000-0000-4000-8000-00000000B0B0",
         "actor": {"user_id": "00000000-0000-4000-8000-000000000003", "email": "мария@example.ru",
                   "ip": "10.0.0.1", "user_agent": "Mozilla/5.0"},
         "request_id": "req-1", "resource": {"type": "quote", "id": "Q-1"}, "action": "create",
         "payload": {"note": "Коммерческое \"предложение\"", "total": -12.5e2, "lines": [1, 2.0, true, null, {}],
                     "escaped": "tab\t\u00e9 \/"}}
        """#

    static let sparse = #"""
        {"payload":{},"action":"other","resource":{"type":"customer","id":null},"source":{"service":"crm",
        "instance":null},"occurred_at":"2030-12-31T23:59:59+03:00","version":2,"type":"customer.merged",
        "id":"7D4F5A3E-2B1C-4D0E-9F8A-6B5C4D3E2F1B","organization_id":null,"actor":null,"request_id":null}
        """#

    static let actorless = #"""
        {"id":"7d4f5a3e-2b1c-4d0e-9f8a-6b5c4d3e2f1c","type":"rates.updated","version":1,
        "occurred_at":"2026-02-28T00:00:00.5-05:30","source":{"service":"rates"},"resource":{"type":"rate"},
        "action":"update","payload":[1,2],"actor":{"email":"a@b.ru"}}
        """#

    static func scanned(_ body: String) -> [IncomingEnvelope]? {
        let bytes = Array(body.utf8)
        guard let (elements, isBatch) = try? IngestionController.elements(of: bytes) else { return nil }
        return EnvelopeScanner.envelopes(in: bytes, elements: elements, isBatch: isBatch)
    }

    /// The envelopes as `JSONDecoder` reads them, with the payload sizes ingestion measures beside it.
    static func decoded(_ body: String) -> [IncomingEnvelope]? {
        let decoder = ContractJSON.makeDecoder()
        let data = Data(body.utf8)
        guard
            let envelopes = (try? decoder.decode([IncomingEnvelope].self, from: data))
                ?? (try? decoder.decode(IncomingEnvelope.self, from: data)).map({ [$0] })
        else { return nil }
        let bytes = Array(body.utf8)
        guard let (elements, _) = try? IngestionController.elements(of: bytes), elements.count == envelopes.count
        else { return nil }
        return zip(envelopes, elements).map { envelope, element in
            var measured = envelope
            measured.payloadSize = IngestionController.layout(of: bytes, element: element, prefix: "").payloadSize
            return measured
        }
    }

    /// Equal in every field, the instant to the microsecond.
    static func same(_ left: [IncomingEnvelope], _ right: [IncomingEnvelope]) -> Bool {
        guard left.count == right.count else { return false }
        return zip(left, right).allSatisfy { one, other in
            var aligned = one
            aligned.occurredAt = other.occurredAt
            return aligned == other && abs(one.occurredAt.timeIntervalSince(other.occurredAt)) < 0.000_001
        }
    }

    @Test("the usual envelope has every member the envelope declares, so the agreement below covers each")
    func usualIsComplete() throws {
        let object = try #require(try JSONSerialization.jsonObject(with: Data(Self.usual.utf8)) as? [String: Any])
        for (member, names) in EventEnvelope.members {
            let members = member.isEmpty ? object : try #require(object[member] as? [String: Any], "\(member)")
            #expect(Set(members.keys) == names, "\(member.isEmpty ? "the envelope" : member)")
        }
    }

    @Test(
        "usual envelopes and batches read the same as with JSONDecoder",
        arguments: [usual, sparse, actorless, "[\(usual)]", " [ \(usual) ,\n\(sparse),\(actorless) ] "]
    )
    func agrees(body: String) throws {
        let scanned = try #require(Self.scanned(body))
        let decoded = try #require(Self.decoded(body))
        #expect(Self.same(scanned, decoded))
    }

    static let unusualBodies: [String] = {
        var bodies: [String] = []
        let replacements: [(String, String)] = [
            (#""quote.created""#, #""quote\u002ecreated""#),
            (#""version": 1"#, #""version": 1.0"#),
            (#""version": 1"#, #""version": 1, "version": 2"#),
            // Longer than an Int holds: refused before it is accumulated (it used to overflow and crash).
            (#""version": 1"#, #""version": 526270272395040570474496"#),
            (#""version": 1"#, #""version": -1234567890123456789"#),
            ("10:00:00.123Z", "10:00:00.123z"),
            ("10:00:00.123Z", "10:00:00"),
            ("2026-04-25", "1999-04-25"),
            ("2026-04-25", "2026-02-30"),
            ("\"create\"", "\"created\""),
            ("-12.5e2", "1e1000"),
            ("-12.5e2", "012"),
            (#"\u00e9"#, #"\ud83d\ude00"#),
            ("\"req-1\"", "\"req\u{1}\""),
            ("00000000-0000-4000-8000-00000000B0B0", "00000000-0000-4000-8000-00000000B0BG"),
            (#""payload": {"#, #""oops": ,"payload": {"#),
            // Members the envelope does not define: refused, by the decoding path, which names them.
            (#""action": "create","#, #""action": "create", "extra": {"nested": [[[]]]},"#),
            (#""ip": "10.0.0.1""#, #""ip": "10.0.0.1", "future_field": 1"#),
            (#""instance": "core-1""#, #""instance": "core-1", "region": "eu""#),
            (#""id": "Q-1""#, #""id": "Q-1", "name": "x""#),
        ]
        for (text, replacement) in replacements {
            bodies.append(usual.replacingOccurrences(of: text, with: replacement))
        }
        let deep = String(repeating: "[", count: 70) + "1" + String(repeating: "]", count: 70)
        bodies.append(usual.replacingOccurrences(of: #""lines": [1"#, with: #""lines": ["# + deep))
        bodies.append("[" + usual + "] trailing")
        bodies.append("[" + usual + " " + sparse + "]")
        bodies.append("[" + usual + ",]")
        bodies.append("[" + usual + String(repeating: "[", count: 100))
        return bodies
    }()

    @Test("anything unusual is left to JSONDecoder", arguments: unusualBodies)
    func unusual(body: String) {
        #expect(Self.scanned(body) == nil)
    }

    @Test("invalid UTF-8 is left to JSONDecoder")
    func invalidText() throws {
        var bytes = Array(Self.usual.utf8)
        let index = try #require(bytes.firstIndex(of: UInt8(ascii: "M")))
        bytes[index] = 0xC3
        let (elements, isBatch) = try IngestionController.elements(of: bytes)
        #expect(EnvelopeScanner.envelopes(in: bytes, elements: elements, isBatch: isBatch) == nil)
    }

    @Test("whatever a mutated batch turns into, the fast reader accepts only what JSONDecoder reads the same")
    func mutations() throws {
        var random = SplitMix(seed: 20_261_127)
        let original = Array("[\(Self.usual),\(Self.sparse),\(Self.actorless)]".utf8)
        let alphabet = Array(#"{}[]":,.-+eE0123456789 \\u"tfnlZT"#.utf8) + [0x00, 0x0A, 0xD0, 0xB9, 0xFF]
        var accepted = 0
        for _ in 0..<4000 {
            var bytes = original
            for _ in 0..<(1 + Int(random.next() % 3)) {
                let position = Int(random.next() % UInt64(bytes.count))
                let byte = alphabet[Int(random.next() % UInt64(alphabet.count))]
                switch random.next() % 3 {
                case 0: bytes[position] = byte
                case 1: bytes.insert(byte, at: position)
                default: bytes.remove(at: position)
                }
            }
            guard let (elements, isBatch) = try? IngestionController.elements(of: bytes),
                let scanned = EnvelopeScanner.envelopes(in: bytes, elements: elements, isBatch: isBatch)
            else { continue }
            accepted += 1
            let body = String(decoding: bytes, as: UTF8.self)
            let decoded = try #require(Self.decoded(body), "accepted but JSONDecoder refuses: \(body)")
            #expect(Self.same(scanned, decoded), "read differently: \(body)")
            #expect((try? JSONSerialization.jsonObject(with: Data(bytes))) != nil, "accepted invalid JSON: \(body)")
        }
        #expect(accepted > 100, "mutations that keep the batch usual are still read fast")
    }
}

/// A small seeded generator, so a failing mutation can be replayed.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
