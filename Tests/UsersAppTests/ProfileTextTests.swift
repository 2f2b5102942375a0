import Contracts
import Foundation
import HTTPTypes
import HummingbirdTesting
import TestSupport
import Testing

@testable import UsersApp

/// The free-text rule at the users service's boundary: every text field, one clear 422 naming it.
@Suite("Users: free text")
struct ProfileTextTests {
    @Test("a name that displays as something else is refused, naming the field")
    func bidirectionalOverride() async throws {
        try await UsersHarness.with { harness in
            let admin = try await harness.register()
            let answer = try await harness.call(
                .patch,
                "/api/users/me/profile",
                json: #"{"full_name":"Admin\u202Enimda","position":"Sales\u200Blead"}"#,
                token: admin.accessToken
            )
            #expect(answer.status == .unprocessableContent)
            let problem = try answer.decode(Problem.self)
            #expect(problem.errors?.map(\.field).sorted() == ["full_name", "position"])
        }
    }

    @Test("every text field of registration and the organization follows the same rule")
    func everyField() async throws {
        try await UsersHarness.with { harness in
            let registration = try await harness.call(
                .post,
                "/api/auth/register",
                json:
                    #"{"organization_name":"ООО \u2066Ромашка\u2069","full_name":"Анна\nПетрова","email":"x.\#(UUID().uuidString.prefix(6))@example.ru","password":"correct horse battery"}"#
            )
            #expect(registration.status == .unprocessableContent)
            #expect(
                try registration.decode(Problem.self).errors?.map(\.field).sorted() == [
                    "full_name", "organization_name",
                ]
            )
            let admin = try await harness.register()
            let organization = try await harness.call(
                .patch,
                "/api/organizations/current",
                json: #"{"address":"Москва\u0000","legal_name":"ООО\u00ADРомашка"}"#,
                token: admin.accessToken
            )
            #expect(organization.status == .unprocessableContent)
            #expect(
                try organization.decode(Problem.self).errors?.map(\.field).sorted() == ["address", "legal_name"]
            )
        }
    }
}
