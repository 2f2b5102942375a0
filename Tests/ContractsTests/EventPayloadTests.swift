import Contracts
import Foundation
import Testing

/// The services' own events are written through ``EventPayload`` types; their JSON is what the activity log has
/// always stored, so each type must write exactly what the dictionary literals it replaced wrote.
@Suite("Contracts: the services' event payloads")
struct EventPayloadTests {
    private let id = UUID(uuidString: "51C1D5CD-0B42-4E81-9A3B-6F0E2D1C4B5A")!
    private let expiry = Date(timeIntervalSince1970: 1_777_000_000.25)

    /// Every payload type a service records.
    static let types: [any EventPayload.Type] = [
        UserRegistered.self, UserLoggedIn.self, UserLoginFailed.self, TokenFamilyRevoked.self, UserLoggedOut.self,
        UserLoggedOutEverywhere.self, PasswordChanged.self, PasswordResetIssued.self, PasswordResetCompleted.self,
        PasswordResetRefused.self, UserProfileUpdated.self, UserCreated.self, UserUpdated.self,
        OrganizationUpdated.self, ActivityExported.self, LoadRatesResult.self, RatesPublished.self,
        FeedbackCreated.self, FeedbackUpdated.self,
    ]

    @Test("optional members are left out when absent, as the literals omitted them")
    func optionalsAbsent() throws {
        let issued = PasswordResetIssued(resetID: id, email: "a@example.ru", expiresAt: expiry)
        #expect(
            try JSONValue(encoding: issued) == [
                "reset_id": "51c1d5cd-0b42-4e81-9a3b-6f0e2d1c4b5a", "email": "a@example.ru",
                "expires_at": "2026-04-24T03:06:40.250Z",
            ]
        )
        let viaCommandLine = PasswordResetIssued(
            resetID: id,
            email: "a@example.ru",
            expiresAt: expiry,
            via: "create-admin"
        )
        #expect(try JSONValue(encoding: viaCommandLine)["via"] == "create-admin")

        let created = UserCreated(email: "a@example.ru", after: ["full_name": "А", "phone": nil])
        #expect(
            try JSONValue(encoding: created) == ["email": "a@example.ru", "after": ["full_name": "А", "phone": nil]]
        )

        let export = ActivityExported(format: "csv", filters: .init(action: .update, to: expiry))
        #expect(
            try JSONValue(encoding: export) == [
                "format": "csv", "filters": ["action": "update", "to": "2026-04-24T03:06:40.250Z"],
            ]
        )
        #expect(try JSONValue(encoding: ActivityExported(format: "csv", filters: .init()))["filters"] == [:])
    }

    @Test("a change payload is {changes: {field: {before, after}}}, null for a missing value, and reads back")
    func changes() throws {
        let updated = UserUpdated(changes: [
            "role": FieldChange(before: "manager", after: "admin"), "phone": FieldChange(before: nil, after: "+7495"),
        ])
        let json = try JSONValue(encoding: updated)
        #expect(
            json == [
                "changes": [
                    "role": ["before": "manager", "after": "admin"], "phone": ["before": nil, "after": "+7495"],
                ]
            ]
        )
        let data = try ContractJSON.makeEncoder().encode(updated)
        #expect(try ContractJSON.makeDecoder().decode(UserUpdated.self, from: data) == updated)
    }

    @Test("a payload without members is {}, and nested members keep their literal shape")
    func emptyAndNested() throws {
        #expect(try JSONValue(encoding: UserLoggedIn()) == [:])
        #expect(try JSONValue(encoding: PasswordChanged()) == [:])
        let registered = UserRegistered(
            organization: .init(id: id, name: "Ромашка"),
            email: "a@example.ru",
            role: .admin,
            fullName: "Анна"
        )
        #expect(
            try JSONValue(encoding: registered) == [
                "organization": ["id": "51c1d5cd-0b42-4e81-9a3b-6f0e2d1c4b5a", "name": "Ромашка"],
                "email": "a@example.ru", "role": "admin", "full_name": "Анна",
            ]
        )
        let failed = UserLoginFailed(email: "a@example.ru", reason: .tooManyFailures)
        #expect(try JSONValue(encoding: failed) == ["email": "a@example.ru", "reason": "too_many_failures"])
    }

    @Test("every event type is distinct and named <domain>.<event> in snake_case")
    func eventTypes() throws {
        let names = Self.types.map { $0.eventType }
        #expect(Set(names).count == names.count)
        let pattern = try Regex("^[a-z_]+\\.[a-z_]+$")
        for name in names {
            #expect(name.wholeMatch(of: pattern) != nil, "\(name)")
        }
    }
}
