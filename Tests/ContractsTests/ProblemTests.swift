import Contracts
import Foundation
import Testing

@Suite("Contracts: problem bodies and JSON conventions")
struct ProblemTests {
    @Test("a problem encodes in snake_case with its field errors")
    func encodesProblem() throws {
        let problem = Problem(
            type: "urn:quoting:problem:validation",
            title: "Validation Failed",
            status: 422,
            detail: "1 field is invalid",
            errors: [FieldError(field: "phone", message: "must be a phone number")],
            requestID: "r-1"
        )
        let data = try ContractJSON.makeEncoder().encode(problem)
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(object["request_id"] as? String == "r-1")
        #expect(object["status"] as? Int == 422)
        #expect((object["errors"] as? [[String: String]])?.first?["field"] == "phone")
        #expect(try ContractJSON.makeDecoder().decode(Problem.self, from: data) == problem)
    }

    @Test("timestamps are RFC 3339 UTC with milliseconds, and parse with or without fractions")
    func timestamps() throws {
        let date = Date(timeIntervalSince1970: 1_777_000_000.25)
        #expect(Timestamp.format(date) == "2026-04-24T03:06:40.250Z")
        #expect(Timestamp.parse("2026-04-24T03:06:40Z") == Date(timeIntervalSince1970: 1_777_000_000))
        #expect(Timestamp.parse("2026-04-24T06:06:40.5+03:00")?.timeIntervalSince1970 == 1_777_000_000.5)
        #expect(Timestamp.parse("yesterday") == nil)
    }

    @Test("decimals keep every digit through JSON")
    func decimals() throws {
        struct Amount: Codable { var value: Decimal }
        let decoded = try ContractJSON.makeDecoder().decode(Amount.self, from: Data(#"{"value": 75.5273}"#.utf8))
        #expect(decoded.value == Decimal(string: "75.5273"))
        let encoded = String(
            decoding: try ContractJSON.makeEncoder().encode(Amount(value: Decimal(string: "0.1")!)),
            as: UTF8.self
        )
        #expect(encoded == #"{"value":0.1}"#)
    }
}
