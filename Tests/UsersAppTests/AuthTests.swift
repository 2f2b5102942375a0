import Contracts
import Foundation
import HTTPTypes
import HummingbirdTesting
import ServiceKit
import TestSupport
import Testing

@testable import UsersApp

@Suite("Users: registration, login, refresh, logout")
struct AuthTests {
    @Test("registration creates the organization and its admin, with working tokens")
    func registration() async throws {
        try await UsersHarness.with { harness in
            let registration = try await harness.register(email: "Anna.Admin@Example.RU")
            #expect(registration.user.role == .admin)
            #expect(registration.user.email == "Anna.Admin@example.ru")
            #expect(registration.user.organizationID == registration.organization.id)
            #expect(registration.organization.name == "ООО Ромашка")
            #expect(registration.tokenType == "Bearer")
            #expect(registration.expiresIn == 900)
            let me = try await harness.call(.get, "/api/users/me", token: registration.accessToken)
            #expect(me.status == .ok)
            #expect(try me.decode(CurrentUser.self).organization.id == registration.organization.id)
            let event = try await harness.event("users.registered")
            #expect(event.organizationID == registration.organization.id)
            #expect(event.actor?.userID == registration.user.id)
        }
    }

    @Test("registration validates every field at once and refuses unknown fields")
    func registrationValidation() async throws {
        try await UsersHarness.with { harness in
            let response = try await harness.call(
                .post,
                "/api/auth/register",
                json:
                    #"{"organization_name":"","full_name":"   ","email":"not-an-email","password":"short","plan":"pro"}"#
            )
            #expect(response.status == .unprocessableContent)
            let fields = Set(try response.decode(Problem.self).errors?.map(\.field) ?? [])
            #expect(fields == ["organization_name", "full_name", "email", "password", "plan"])
            #expect(try await harness.call(.post, "/api/auth/register", json: "{oops").status == .badRequest)
        }
    }

    @Test("a second account with the same email, in any case, is a 409")
    func duplicateEmail() async throws {
        try await UsersHarness.with { harness in
            _ = try await harness.register(email: "same@example.ru")
            let again = try await harness.call(
                .post,
                "/api/auth/register",
                body: RegisterRequest(
                    organizationName: "Другая",
                    fullName: "Пётр",
                    email: "SAME@example.ru",
                    password: "long enough pw"
                )
            )
            #expect(again.status == .conflict)
            #expect(try again.decode(Problem.self).type == "urn:quoting:problem:email-taken")
        }
    }

    @Test("registration can be turned off")
    func registrationDisabled() async throws {
        try await UsersHarness.with(["USERS_REGISTRATION_ENABLED": "false"]) { harness in
            let response = try await harness.call(
                .post,
                "/api/auth/register",
                body: RegisterRequest(
                    organizationName: "X",
                    fullName: "Y",
                    email: "y@example.ru",
                    password: "long enough pw"
                )
            )
            #expect(response.status == .forbidden)
        }
    }

    @Test("login: a wrong password and an unknown email get the same 401, and both are recorded")
    func login() async throws {
        try await UsersHarness.with { harness in
            let registration = try await harness.register(email: "login@example.ru", password: "the right password")
            let ok = try await harness.call(
                .post,
                "/api/auth/login",
                body: LoginRequest(email: "LOGIN@example.ru", password: "the right password")
            )
            #expect(ok.status == .ok)
            let wrong = try await harness.call(
                .post,
                "/api/auth/login",
                body: LoginRequest(email: "login@example.ru", password: "nope")
            )
            let unknown = try await harness.call(
                .post,
                "/api/auth/login",
                body: LoginRequest(email: "ghost@example.ru", password: "nope")
            )
            #expect(wrong.status == .unauthorized)
            #expect(unknown.status == .unauthorized)
            #expect(try wrong.decode(Problem.self).detail == (try unknown.decode(Problem.self).detail))
            let failed = try await harness.event("users.login_failed") { $0.payload["reason"] == "wrong_password" }
            #expect(failed.organizationID == registration.organization.id)
            _ = try await harness.event("users.login_failed") { $0.payload["reason"] == "unknown_email" }
            _ = try await harness.event("users.logged_in")
        }
    }

    @Test("refresh rotates; presenting a rotated token again revokes the whole family")
    func refreshRotationAndReuse() async throws {
        try await UsersHarness.with { harness in
            let registration = try await harness.register()
            let first = try await harness.call(
                .post,
                "/api/auth/refresh",
                body: RefreshRequest(refreshToken: registration.refreshToken)
            )
            #expect(first.status == .ok)
            let rotated = try first.decode(TokenResponse.self)
            #expect(rotated.refreshToken != registration.refreshToken)

            let reused = try await harness.call(
                .post,
                "/api/auth/refresh",
                body: RefreshRequest(refreshToken: registration.refreshToken)
            )
            #expect(reused.status == .unauthorized)
            // The thief's reuse also kills the legitimate newest token of the family.
            let newest = try await harness.call(
                .post,
                "/api/auth/refresh",
                body: RefreshRequest(refreshToken: rotated.refreshToken)
            )
            #expect(newest.status == .unauthorized)
            _ = try await harness.event("users.token_family_revoked")

            let garbage = try await harness.call(
                .post,
                "/api/auth/refresh",
                body: RefreshRequest(refreshToken: "made-up")
            )
            #expect(garbage.status == .unauthorized)
        }
    }

    @Test("a refresh token is refused once its lifetime is over, and its access tokens carry the clock's time")
    func refreshTokenExpires() async throws {
        let start = Date()
        let clock = TestWallClock(start)
        try await UsersHarness.with(["USERS_REFRESH_TTL": "1h"], clock: clock) { harness in
            let registration = try await harness.register()
            clock.set(start.addingTimeInterval(3599))
            let rotated = try await harness.call(
                .post,
                "/api/auth/refresh",
                body: RefreshRequest(refreshToken: registration.refreshToken)
            )
            #expect(rotated.status == .ok, "still within the hour")
            let tokens = try rotated.decode(TokenResponse.self)
            var claims = String(try #require(tokens.accessToken.split(separator: ".").dropFirst().first))
                .replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
            while claims.count % 4 != 0 { claims += "=" }
            let payload = try JSONSerialization.jsonObject(with: try #require(Data(base64Encoded: claims)))
            let issuedAt = ((payload as? [String: Any])?["iat"] as? NSNumber)?.intValue
            #expect(issuedAt == Int(start.addingTimeInterval(3599).timeIntervalSince1970))

            clock.set(start.addingTimeInterval(3599 + 3601))
            let expired = try await harness.call(
                .post,
                "/api/auth/refresh",
                body: RefreshRequest(refreshToken: tokens.refreshToken)
            )
            #expect(expired.status == .unauthorized, "the rotated token's hour is over too")
        }
    }

    @Test("logout revokes the refresh token's family")
    func logout() async throws {
        try await UsersHarness.with { harness in
            let registration = try await harness.register()
            let out = try await harness.call(
                .post,
                "/api/auth/logout",
                body: RefreshRequest(refreshToken: registration.refreshToken)
            )
            #expect(out.status == .noContent)
            let refresh = try await harness.call(
                .post,
                "/api/auth/refresh",
                body: RefreshRequest(refreshToken: registration.refreshToken)
            )
            #expect(refresh.status == .unauthorized)
            _ = try await harness.event("users.logged_out")
        }
    }

    @Test("an inactive user can neither log in nor refresh")
    func inactiveUser() async throws {
        try await UsersHarness.with { harness in
            let admin = try await harness.register()
            let (user, tokens) = try await harness.createUser(admin: admin.accessToken, password: "manager password")
            let deactivate = try await harness.call(
                .patch,
                "/api/users/\(user.id)",
                json: #"{"active":false}"#,
                token: admin.accessToken
            )
            #expect(deactivate.status == .ok)
            let login = try await harness.call(
                .post,
                "/api/auth/login",
                body: LoginRequest(email: user.email, password: "manager password")
            )
            #expect(login.status == .unauthorized)
            let refresh = try await harness.call(
                .post,
                "/api/auth/refresh",
                body: RefreshRequest(refreshToken: tokens.refreshToken)
            )
            #expect(refresh.status == .unauthorized)
            let me = try await harness.call(.get, "/api/users/me", token: tokens.accessToken)
            #expect(me.status == .unauthorized)
        }
    }

    @Test("expired and forged access tokens are refused on a protected route")
    func badAccessTokens() async throws {
        try await UsersHarness.with { harness in
            let registration = try await harness.register()
            let identity = Identity(
                userID: registration.user.id,
                organizationID: registration.organization.id,
                role: .admin,
                email: registration.user.email
            )
            let signer = await AccessTokenSigner(key: TestKeys.signing, settings: TestKeys.settings)
            let expired = try await signer.sign(
                identity,
                issuedAt: Date().addingTimeInterval(-7200),
                lifetime: .seconds(900)
            )
            #expect(try await harness.call(.get, "/api/users/me", token: expired).status == .unauthorized)
            let impostor = try AuthSettings.SigningKey.generate(id: TestKeys.signing.id)
            let forged = try await AccessTokenSigner(key: impostor, settings: TestKeys.settings).sign(identity)
            #expect(try await harness.call(.get, "/api/users/me", token: forged).status == .unauthorized)
            #expect(try await harness.call(.get, "/api/users/me").status == .unauthorized)
        }
    }

    @Test("no event carries a password, a hash or a token")
    func noSecretsInEvents() async throws {
        try await UsersHarness.with { harness in
            let registration = try await harness.register(password: "super secret words")
            _ = try await harness.call(
                .post,
                "/api/auth/login",
                body: LoginRequest(email: registration.user.email, password: "super secret words")
            )
            _ = try await harness.call(
                .post,
                "/api/auth/login",
                body: LoginRequest(email: registration.user.email, password: "wrong secret words")
            )
            let refreshed = try await harness.call(
                .post,
                "/api/auth/refresh",
                body: RefreshRequest(refreshToken: registration.refreshToken)
            )
            let tokens = try refreshed.decode(TokenResponse.self)
            _ = try await harness.call(
                .post,
                "/api/auth/refresh",
                body: RefreshRequest(refreshToken: registration.refreshToken)
            )
            let (_, managerTokens) = try await harness.createUser(
                admin: registration.accessToken,
                password: "manager secret pw"
            )
            _ = try await harness.event("users.token_family_revoked")
            let everything = try await harness.events().map(\.json).joined(separator: "\n")
            let refreshTokens = [registration.refreshToken, tokens.refreshToken, managerTokens.refreshToken]
            #expect(refreshTokens.allSatisfy { $0 != nil })
            for secret in [
                "super secret words", "wrong secret words", "manager secret pw", "$2b$", registration.accessToken,
                tokens.accessToken,
            ] + refreshTokens.compactMap(\.self) {
                #expect(!everything.contains(secret), "an event contains a secret")
            }
        }
    }
}
