import Contracts
import Foundation
import Testing

@Suite("Black box: events across services")
struct EventFlowSmokeTests {
    @Test("a registration reaches the activity log through the event stream; dashboard and rates answer the new admin")
    func registrationIsRecorded() async throws {
        let email = "events.\(UUID().uuidString.prefix(8).lowercased())@example.ru"
        let password = "event flow password"
        let registered = try await Proxy.send(
            "POST",
            "api/auth/register",
            json: RegisterRequest(
                organizationName: "ООО Поток",
                fullName: "Событий Потокович",
                email: email,
                password: password
            )
        )
        try #require(registered.status == 201, "\(registered.text)")
        let registration = try registered.decode(RegistrationResponse.self)
        let token = registration.accessToken

        // users → its outbox → the relay → the `events` stream → the activity consumer's next batch. Polled
        // every 1.5 s, not with `eventually`'s 20 ms: through the proxy the user's limit of 50/minute applies.
        let deadline = ContinuousClock.now + .seconds(60)
        var recorded: ActivityEntry?
        while recorded == nil, ContinuousClock.now < deadline {
            let answer = try await Proxy.send("GET", "api/activity-logs?resource_type=user", token: token)
            try #require(answer.status == 200, "\(answer.text)")
            recorded = try answer.decode(ListPage<ActivityEntry>.self).items.first {
                $0.eventType == "users.registered"
            }
            if recorded == nil { try await Task.sleep(for: .milliseconds(1500)) }
        }
        let entry = try #require(recorded, "the registration reached the activity log within a minute")
        #expect(entry.resourceID == registration.user.id.wireString)
        #expect(entry.organizationID == registration.organization.id)
        #expect(entry.source.service == "users")
        let payload = String(decoding: try ContractJSON.makeEncoder().encode(entry.payload), as: UTF8.self)
        #expect(payload.contains(email))
        #expect(!payload.contains(password), "no secret in an event")

        let stats = try await Proxy.send("GET", "api/dashboard/stats", token: token)
        #expect(stats.status == 200, "\(stats.text)")
        #expect(try stats.decode(DashboardStats.self).quotes.total == 0, "a new organization has no quotes")

        let rates = try await Proxy.send("GET", "api/exchange-rates/status", token: token)
        #expect(rates.status == 200, "\(rates.text)")
    }
}
