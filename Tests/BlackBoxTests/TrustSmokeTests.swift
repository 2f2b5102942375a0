import Contracts
import Foundation
import ServiceKit
import Testing

/// The trust boundaries as a client meets them through the proxy: revoked and forged tokens, the client
/// address the services see, and the headers every answer carries.
@Suite("Black box: trust boundaries through the proxy")
struct TrustSmokeTests {
    /// One route of each service that any signed-in user may read.
    static let protectedRoutes = [
        "api/users/me", "api/exchange-rates/status", "api/activity-logs", "api/feedback/mine", "api/dashboard/stats",
    ]

    static let password = "black box password"

    /// A new organization's admin: their token and id.
    static func registerAdmin() async throws -> RegistrationResponse {
        let answer = try await Proxy.send(
            "POST",
            "api/auth/register",
            json: RegisterRequest(
                organizationName: "ООО Доверие",
                fullName: "Админ Доверия",
                email: "trust.\(UUID().uuidString.prefix(8).lowercased())@example.ru",
                password: password
            )
        )
        #expect(answer.status == 201, "\(answer.text)")
        return try answer.decode(RegistrationResponse.self)
    }

    /// A user created by `admin` with `role`, signed in: their account and access token.
    static func createUser(by admin: String, role: Role) async throws -> (UserAccount, String) {
        let email = "trust.user.\(UUID().uuidString.prefix(8).lowercased())@example.ru"
        let created = try await Proxy.send(
            "POST",
            "api/users",
            json: CreateUserRequest(email: email, fullName: "Пользователь Доверия", role: role, password: password),
            token: admin
        )
        #expect(created.status == 201, "\(created.text)")
        let login = try await Proxy.send("POST", "api/auth/login", json: LoginRequest(email: email, password: password))
        #expect(login.status == 200, "\(login.text)")
        return (try created.decode(UserAccount.self), try login.decode(TokenResponse.self).accessToken)
    }

    /// The status each protected route answers `token`.
    static func statuses(_ token: String) async throws -> [Int] {
        var statuses: [Int] = []
        for route in protectedRoutes { statuses.append(try await Proxy.send("GET", route, token: token).status) }
        return statuses
    }

    /// Waits until every service refuses `token`, at most `within`; returns how long it took.
    static func refusedEverywhere(_ token: String, within: Duration) async throws -> Duration {
        let start = ContinuousClock.now
        while ContinuousClock.now - start < within {
            if try await statuses(token).allSatisfy({ $0 == 401 }) { return ContinuousClock.now - start }
            try await Task.sleep(for: .milliseconds(50))
        }
        Issue.record("still accepted after \(within): \(try await statuses(token))")
        return within
    }

    @Test("a demoted admin's and a deactivated user's tokens are refused by all five services within a second")
    func revokedEverywhere() async throws {
        let admin = try await Self.registerAdmin()
        let (demoted, demotedToken) = try await Self.createUser(by: admin.accessToken, role: .admin)
        let (deactivated, deactivatedToken) = try await Self.createUser(by: admin.accessToken, role: .manager)
        #expect(try await Self.statuses(demotedToken).allSatisfy { $0 == 200 })
        #expect(try await Self.statuses(deactivatedToken).allSatisfy { $0 == 200 })

        let demote = try await Proxy.send(
            "PATCH",
            "api/users/\(demoted.id.wireString)",
            raw: #"{"role":"manager"}"#,
            token: admin.accessToken
        )
        #expect(demote.status == 200, "\(demote.text)")
        #expect(try await Self.refusedEverywhere(demotedToken, within: .seconds(1)) < .seconds(1))

        let deactivate = try await Proxy.send(
            "PATCH",
            "api/users/\(deactivated.id.wireString)",
            raw: #"{"active":false}"#,
            token: admin.accessToken
        )
        #expect(deactivate.status == 200, "\(deactivate.text)")
        #expect(try await Self.refusedEverywhere(deactivatedToken, within: .seconds(1)) < .seconds(1))
        #expect(try await Self.statuses(admin.accessToken).allSatisfy { $0 == 200 })
    }

    @Test("a token signed with any key but the users service's is refused by every service")
    func forgedTokens() async throws {
        let admin = try await Self.registerAdmin()
        let identity = Identity(
            userID: admin.user.id,
            organizationID: admin.organization.id,
            role: .admin,
            email: admin.user.email
        )
        let settings = AuthSettings(publicKeys: [])
        for kid in ["local", "forged"] {
            let forger = await AccessTokenSigner(key: try .generate(id: kid), settings: settings)
            let forged = try await forger.sign(identity)
            #expect(try await Self.statuses(forged).allSatisfy { $0 == 401 })
        }
    }

    @Test("X-Forwarded-For written by the client changes nothing: the audit trail and limits see the proxy's view")
    func forwardedForIgnored() async throws {
        let admin = try await Self.registerAdmin()
        let claimed = ["203.0.113.7", "198.51.100.23"]
        for forwarded in claimed {
            let answer = try await Proxy.send(
                "POST",
                "api/auth/login",
                json: LoginRequest(email: admin.user.email, password: "wrong password"),
                headers: ["X-Forwarded-For": forwarded]
            )
            #expect(answer.status == 401)
            #expect(answer.headers["ratelimit"]?.hasPrefix("\"login\";") == true, "a refused login counts too")
        }
        let deadline = ContinuousClock.now + .seconds(60)
        var addresses: [String] = []
        while addresses.count < 2 && ContinuousClock.now < deadline {
            let page = try await Proxy.send("GET", "api/activity-logs?per_page=100", token: admin.accessToken)
            #expect(page.status == 200, "\(page.text)")
            addresses = try page.decode(ListPage<ActivityEntry>.self).items
                .filter { $0.eventType == "users.login_failed" }.compactMap(\.actor?.ip)
            if addresses.count < 2 { try await Task.sleep(for: .milliseconds(250)) }
        }
        // The proxy's view of this client: 127.0.0.1 on one machine, the network's gateway behind a container
        // engine's port; the same for both attempts, and never what the client claimed.
        #expect(addresses.count == 2 && Set(addresses).count == 1, "\(addresses)")
        #expect(!addresses.contains(where: claimed.contains), "\(addresses)")
    }

    @Test("answers carry the hardening headers, name no service, and keep only well-formed request ids")
    func hardeningHeaders() async throws {
        let answer = try await Proxy.send("GET", "api/users/me", headers: ["X-Request-ID": "evil id\u{7F}"])
        #expect(answer.status == 401)
        #expect(answer.headers["x-content-type-options"] == "nosniff")
        #expect(answer.headers["referrer-policy"] == "no-referrer")
        #expect(answer.headers["x-frame-options"] == "DENY")
        let server = answer.headers["server"] ?? ""
        for service in ["users", "rates", "activity", "feedback", "dashboard"] { #expect(!server.contains(service)) }
        #expect(answer.headers["x-request-id"] != "evil id\u{7F}")
        let kept = try await Proxy.send("GET", "api/users/me", headers: ["X-Request-ID": "client-id-12345"])
        #expect(kept.headers["x-request-id"] == "client-id-12345")
        let short = try await Proxy.send("GET", "api/users/me", headers: ["X-Request-ID": "short"])
        #expect(short.headers["x-request-id"] != "short")
    }

    @Test("the quoting core's key cannot ingest a platform event in another service's name, for any tenant")
    func forgedPlatformEvents() async throws {
        let admin = try await Self.registerAdmin()
        let organization = admin.organization.id.wireString
        let forgeries = [
            #"{"id":"\#(UUID().wireString)","type":"rates.published","version":1,"occurred_at":"2026-01-02T12:00:00Z","source":{"service":"rates"},"organization_id":null,"resource":{"type":"exchange_rates","id":"2026-01-02"},"action":"create","payload":{"date":"2026-01-02","rates":{"USD":"999999"}}}"#,
            #"{"id":"\#(UUID().wireString)","type":"users.role_changed","version":1,"occurred_at":"2026-01-02T12:00:00Z","source":{"service":"users"},"organization_id":"\#(organization)","resource":{"type":"user","id":"x"},"action":"update","payload":{}}"#,
        ]
        for forged in forgeries {
            let answer = try await Proxy.send(
                "POST",
                "api/activity/events",
                raw: forged,
                headers: ["X-Api-Key": Proxy.ingestKey]
            )
            #expect(answer.status == 403, "\(answer.text)")
            #expect(answer.headers["content-type"] == Problem.mediaType)
        }
    }

    @Test("answers that carry tokens are never stored by a cache")
    func tokensNotCached() async throws {
        let admin = try await Self.registerAdmin()
        let login = try await Proxy.send(
            "POST",
            "api/auth/login",
            json: LoginRequest(email: admin.user.email, password: Self.password)
        )
        #expect(login.status == 200)
        #expect(login.headers["cache-control"] == "no-store")
    }

    @Test("the public keys are published as a JWK Set and nothing private is in it")
    func keySet() async throws {
        let answer = try await Proxy.send("GET", "api/auth/jwks.json")
        #expect(answer.status == 200)
        let document = try #require(try JSONSerialization.jsonObject(with: answer.body) as? [String: Any])
        let keys = try #require(document["keys"] as? [[String: Any]])
        #expect(!keys.isEmpty)
        for key in keys {
            #expect(key["kty"] as? String == "OKP")
            #expect(key["crv"] as? String == "Ed25519")
            #expect(key["alg"] as? String == "EdDSA")
            #expect(key["d"] == nil)
        }
    }
}
