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

    @Test("decimals travel as exact strings, every digit kept, and only that form is read back")
    func decimals() throws {
        struct Amounts: Codable, Equatable {
            var value: Decimal
            var optional: Decimal?
            var map: [String: Decimal]
        }
        let amounts = Amounts(
            value: Decimal(string: "0.1")!,
            optional: Decimal(string: "-123456789012345678.00000001")!,
            map: ["IRR": Decimal(string: "0.0000588139")!, "UNIT": 100]
        )
        let encoder = ContractJSON.makeEncoder()
        encoder.outputFormatting.insert(.sortedKeys)
        let encoded = String(decoding: try encoder.encode(amounts), as: UTF8.self)
        #expect(
            encoded
                == #"{"map":{"IRR":"0.0000588139","UNIT":"100"},"optional":"-123456789012345678.00000001","value":"0.1"}"#
        )
        #expect(try ContractJSON.makeDecoder().decode(Amounts.self, from: Data(encoded.utf8)) == amounts)
        let absent = try ContractJSON.makeDecoder().decode(Amounts.self, from: Data(#"{"value":"1","map":{}}"#.utf8))
        #expect(absent.optional == nil)
        for refused in [
            #"{"value":75.5273,"map":{}}"#, #"{"value":"1e5","map":{}}"#, #"{"value":"1,5","map":{}}"#,
            #"{"value":" 1","map":{}}"#, #"{"value":"","map":{}}"#, #"{"value":"1","map":{"X":"-"}}"#,
        ] {
            #expect(throws: DecodingError.self, "\(refused)") {
                try ContractJSON.makeDecoder().decode(Amounts.self, from: Data(refused.utf8))
            }
        }
    }
}
