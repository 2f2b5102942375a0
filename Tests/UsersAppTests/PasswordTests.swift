import Contracts
import Foundation
import HTTPTypes
import HummingbirdTesting
import PostgresNIO
import ServiceKit
import TestSupport
import Testing

@testable import UsersApp

@Suite("Users: password rule, change, reset, logout everywhere, failed-login limit")
struct PasswordTests {
    // MARK: - The rule

    @Test("the rule: 10 to 72 bytes of UTF-8, and none of the 10,000 most common passwords in any case")
    func rule() {
        let policy = PasswordPolicy.shipped
        #expect(policy.commonPasswords.count == 10_000)
        #expect(policy.problem(with: "123456789") != nil, "9 bytes")
        #expect(policy.problem(with: "zq7-wv4-hx") == nil, "10 bytes")
        #expect(policy.problem(with: "пароль") == nil, "6 Cyrillic letters are 12 bytes")
        #expect(policy.problem(with: "ключ") != nil, "4 Cyrillic letters are 8 bytes")
        #expect(policy.problem(with: String(repeating: "x", count: 72)) == nil)
        #expect(policy.problem(with: String(repeating: "x", count: 73)) != nil, "73 bytes are refused, never cut")
        #expect(policy.problem(with: String(repeating: "я", count: 36) + "x") != nil, "37 characters, 73 bytes")
        #expect(policy.problem(with: "qwertyuiop") != nil)
        #expect(policy.problem(with: "QwertyUIOP") != nil, "compared case-insensitively")
        #expect(policy.problem(with: "1234567890") != nil)
        #expect(policy.problem(with: "abc\0defghijk") != nil)
        for password in [
            "demo-password", "correct horse battery", "initial password", "long enough pw", "the right password",
            "manager password", "super secret words", "manager secret pw", "smoke test password",
            "feedback smoke admin", "feedback smoke manager", "event flow password",
        ] {
            #expect(policy.problem(with: password) == nil, "the repository's demo and test password \(password)")
        }
    }

    @Test("registration and admin-created users follow the rule")
    func ruleOnCreation() async throws {
        try await UsersHarness.with { harness in
            for password in ["QWERTYUIOP", "short pw", String(repeating: "ж", count: 37)] {
                let response = try await harness.call(
                    .post,
                    "/api/auth/register",
                    body: RegisterRequest(
                        organizationName: "X",
                        fullName: "Y",
                        email: "y@example.ru",
                        password: password
                    )
                )
                #expect(response.status == .unprocessableContent)
                #expect(try response.decode(Problem.self).errors?.map(\.field) == ["password"])
            }
            let admin = try await harness.register()
            let created = try await harness.call(
                .post,
                "/api/users",
                body: CreateUserRequest(email: "m@example.ru", fullName: "M", role: .manager, password: "Manchester"),
                token: admin.accessToken
            )
            #expect(created.status == .unprocessableContent, "manchester is a common password")
            #expect(try created.decode(Problem.self).errors?.map(\.field) == ["password"])
        }
    }

    // MARK: - Change

    @Test("changing the password: 204, the old one stops working, every refresh token is revoked, an event")
    func change() async throws {
        try await UsersHarness.with { harness in
            let admin = try await harness.register(password: "the old password")
            let other = try await harness.login(admin.user.email, "the old password")
            let changed = try await harness.call(
                .post,
                "/api/users/me/password",
                body: ChangePasswordRequest(currentPassword: "the old password", newPassword: "the new password"),
                token: admin.accessToken
            )
            #expect(changed.status == .noContent, "\(changed.text)")
            for refreshToken in [admin.refreshToken, try other.decode(TokenResponse.self).refreshToken] {
                let refresh = try await harness.call(
                    .post,
                    "/api/auth/refresh",
                    body: RefreshRequest(refreshToken: refreshToken)
                )
                #expect(refresh.status == .unauthorized)
            }
            #expect(try await harness.login(admin.user.email, "the old password").status == .unauthorized)
            #expect(try await harness.login(admin.user.email, "the new password").status == .ok)
            let event = try await harness.event("users.password_changed")
            #expect(event.actor?.userID == admin.user.id)
            #expect(event.organizationID == admin.organization.id)
            let everything = try await harness.events().map(\.json).joined(separator: "\n")
            #expect(!everything.contains("the new password") && !everything.contains("the old password"))
        }
    }

    @Test("changing the password: a wrong current one names current_password; a weak new one names new_password")
    func changeRefused() async throws {
        try await UsersHarness.with { harness in
            let admin = try await harness.register(password: "the old password")
            let cases: [(current: String, new: String, field: String)] = [
                ("not my password", "the new password", "current_password"),
                ("the old password", "too short", "new_password"),
                ("the old password", String(repeating: "a", count: 73), "new_password"),
                ("the old password", "TERMINATOR", "new_password"),
            ]
            for (current, new, field) in cases {
                let response = try await harness.call(
                    .post,
                    "/api/users/me/password",
                    body: ChangePasswordRequest(currentPassword: current, newPassword: new),
                    token: admin.accessToken
                )
                #expect(response.status == .unprocessableContent)
                #expect(try response.decode(Problem.self).errors?.map(\.field) == [field], "\(response.text)")
            }
            #expect(try await harness.login(admin.user.email, "the old password").status == .ok)
            let anonymous = try await harness.call(
                .post,
                "/api/users/me/password",
                body: ChangePasswordRequest(currentPassword: "the old password", newPassword: "the new password")
            )
            #expect(anonymous.status == .unauthorized)
        }
    }

    // MARK: - Reset

    @Test("a reset token: 201 with no-store, valid an hour, sets the password once and revokes every refresh token")
    func reset() async throws {
        try await UsersHarness.with { harness in
            let admin = try await harness.register()
            let (manager, managerTokens) = try await harness.createUser(admin: admin.accessToken)
            let issued = try await harness.call(
                .post,
                "/api/users/\(manager.id)/password-reset",
                token: admin.accessToken
            )
            #expect(issued.status == .created, "\(issued.text)")
            #expect(issued.headers[.cacheControl] == "no-store")
            let reset = try issued.decode(PasswordResetToken.self)
            #expect(abs(reset.expiresAt.timeIntervalSinceNow - 3600) < 120)

            let done = try await harness.call(
                .post,
                "/api/auth/password-reset",
                body: PasswordResetRequest(resetToken: reset.resetToken, newPassword: "a brand new password")
            )
            #expect(done.status == .noContent, "\(done.text)")
            let refresh = try await harness.call(
                .post,
                "/api/auth/refresh",
                body: RefreshRequest(refreshToken: managerTokens.refreshToken)
            )
            #expect(refresh.status == .unauthorized)
            #expect(try await harness.login(manager.email, "initial password").status == .unauthorized)
            #expect(try await harness.login(manager.email, "a brand new password").status == .ok)

            let again = try await harness.call(
                .post,
                "/api/auth/password-reset",
                body: PasswordResetRequest(resetToken: reset.resetToken, newPassword: "yet another password")
            )
            try Self.expectRefused(again, "has already been used")
            #expect(try await harness.login(manager.email, "a brand new password").status == .ok)

            let issuedEvent = try await harness.event("users.password_reset_issued")
            #expect(issuedEvent.actor?.userID == admin.user.id)
            #expect(issuedEvent.resource.id == manager.id.wireString)
            let completed = try await harness.event("users.password_reset_completed")
            #expect(completed.actor?.userID == manager.id)
            #expect(completed.organizationID == admin.organization.id)
            #expect(completed.payload["reset_id"] == issuedEvent.payload["reset_id"])
            let refused = try await harness.event("users.password_reset_refused")
            #expect(refused.payload["reason"] == "used")
            #expect(refused.organizationID == admin.organization.id)
            let everything = try await harness.events().map(\.json).joined(separator: "\n")
            #expect(!everything.contains(reset.resetToken), "no event carries the reset token")
        }
    }

    @Test("a reset token is refused when unknown, expired, replaced or its user deactivated; a weak password keeps it")
    func resetRefused() async throws {
        try await UsersHarness.with { harness in
            let admin = try await harness.register()
            let (manager, _) = try await harness.createUser(admin: admin.accessToken)
            func issue() async throws -> String {
                let response = try await harness.call(
                    .post,
                    "/api/users/\(manager.id)/password-reset",
                    token: admin.accessToken
                )
                return try response.decode(PasswordResetToken.self).resetToken
            }
            func use(_ token: String, _ password: String = "a brand new password") async throws -> TestResponse {
                try await harness.call(
                    .post,
                    "/api/auth/password-reset",
                    body: PasswordResetRequest(resetToken: token, newPassword: password)
                )
            }

            try Self.expectRefused(try await use("made-up-token"), "is not a valid reset token")

            let replaced = try await issue()
            let current = try await issue()
            try Self.expectRefused(try await use(replaced), "was replaced by a newer reset token")
            let weak = try await use(current, "Password12")
            #expect(weak.status == .unprocessableContent)
            #expect(try weak.decode(Problem.self).errors?.map(\.field) == ["new_password"])

            try await harness.environment.withDatabase { database in
                try await database.withConnection { connection in
                    _ = try await connection.query(
                        "UPDATE users.password_resets SET expires_at = now() - interval '1 second' WHERE used_at IS NULL",
                        logger: TestInfrastructure.logger("test")
                    )
                }
            }
            try Self.expectRefused(try await use(current), "has expired")

            let forDeactivated = try await issue()
            let deactivate = try await harness.call(
                .patch,
                "/api/users/\(manager.id)",
                json: #"{"active":false}"#,
                token: admin.accessToken
            )
            #expect(deactivate.status == .ok)
            try Self.expectRefused(try await use(forDeactivated), "belongs to a deactivated account")
            #expect(try await harness.login(manager.email, "a brand new password").status == .unauthorized)

            let reasons = try await harness.events().map(\.envelope).filter {
                $0.type == "users.password_reset_refused"
            }
            .compactMap { $0.payload["reason"] }
            #expect(Set(reasons) == ["revoked", "expired", "inactive"], "the unknown token has no user to log against")
        }
    }

    @Test("only an admin of the same organization issues a reset token")
    func resetAuthority() async throws {
        try await UsersHarness.with { harness in
            let admin = try await harness.register()
            let (manager, managerTokens) = try await harness.createUser(admin: admin.accessToken)
            let stranger = try await harness.register(organization: "ООО Другая")
            let fromStranger = try await harness.call(
                .post,
                "/api/users/\(manager.id)/password-reset",
                token: stranger.accessToken
            )
            #expect(fromStranger.status == .notFound)
            let fromManager = try await harness.call(
                .post,
                "/api/users/\(admin.user.id)/password-reset",
                token: managerTokens.accessToken
            )
            #expect(fromManager.status == .forbidden)
            let anonymous = try await harness.call(.post, "/api/users/\(manager.id)/password-reset")
            #expect(anonymous.status == .unauthorized)
        }
    }

    // MARK: - Sessions

    @Test("logout-all revokes every refresh token of the caller, and only theirs")
    func logoutAll() async throws {
        try await UsersHarness.with { harness in
            let admin = try await harness.register(password: "correct horse battery")
            let second = try await harness.login(admin.user.email, "correct horse battery").decode(TokenResponse.self)
            let (_, managerTokens) = try await harness.createUser(admin: admin.accessToken)
            let out = try await harness.call(.post, "/api/auth/logout-all", token: admin.accessToken)
            #expect(out.status == .noContent)
            for token in [admin.refreshToken, second.refreshToken] {
                let refresh = try await harness.call(
                    .post,
                    "/api/auth/refresh",
                    body: RefreshRequest(refreshToken: token)
                )
                #expect(refresh.status == .unauthorized)
            }
            let manager = try await harness.call(
                .post,
                "/api/auth/refresh",
                body: RefreshRequest(refreshToken: managerTokens.refreshToken)
            )
            #expect(manager.status == .ok)
            #expect(try await harness.call(.post, "/api/auth/logout-all").status == .unauthorized)
            let event = try await harness.event("users.logged_out_everywhere")
            #expect(event.actor?.userID == admin.user.id)
        }
    }

    @Test("every answer carrying tokens is Cache-Control: no-store")
    func noStore() async throws {
        try await UsersHarness.with { harness in
            let register = try await harness.call(
                .post,
                "/api/auth/register",
                body: RegisterRequest(
                    organizationName: "X",
                    fullName: "Y",
                    email: "nostore.\(UUID().uuidString.prefix(8))@example.ru",
                    password: "long enough pw"
                )
            )
            #expect(register.status == .created)
            #expect(register.headers[.cacheControl] == "no-store")
            let registration = try register.decode(RegistrationResponse.self)
            let login = try await harness.login(registration.user.email, "long enough pw")
            #expect(login.headers[.cacheControl] == "no-store")
            let refresh = try await harness.call(
                .post,
                "/api/auth/refresh",
                body: RefreshRequest(refreshToken: registration.refreshToken)
            )
            #expect(refresh.status == .ok)
            #expect(refresh.headers[.cacheControl] == "no-store")
        }
    }

    // MARK: - Failed logins per account

    @Test("failed logins are limited per account whatever the address; then even the right password gets 429")
    func failedLoginLimit() async throws {
        let overrides = ["RATE_LIMIT_LOGIN_FAILURES": "3/15m", "RATE_LIMIT_LOGIN": "2/1m"]
        try await UsersHarness.with(overrides, setup: .live) { harness in
            // Addresses of this run only (from the documentation prefix): the per-address quotas outlive a run.
            let network = UUID().uuidString.prefix(4)
            var address = 0
            func from() -> HTTPFields {
                address += 1
                return [.xForwardedFor: "2001:db8:\(network)::\(address)"]
            }
            func register() async throws -> RegistrationResponse {
                let response = try await harness.call(
                    .post,
                    "/api/auth/register",
                    body: RegisterRequest(
                        organizationName: "X",
                        fullName: "Y",
                        email: "limit.\(UUID().uuidString.prefix(8))@example.ru",
                        password: "the right password"
                    ),
                    headers: from()
                )
                #expect(response.status == .created, "\(response.text)")
                return try response.decode(RegistrationResponse.self)
            }
            let admin = try await register()
            let other = try await register()
            for _ in 0..<5 {
                #expect(try await harness.login(admin.user.email, "the right password", headers: from()).status == .ok)
            }
            for _ in 0..<3 {
                #expect(
                    try await harness.login(admin.user.email, "wrong password", headers: from()).status == .unauthorized
                )
            }
            let locked = try await harness.login(admin.user.email.uppercased(), "the right password", headers: from())
            #expect(locked.status == .tooManyRequests, "each address is under its own limit of 2")
            let retryAfter = try #require(locked.headers[.retryAfter].flatMap { Int($0) })
            #expect(retryAfter > 0 && retryAfter <= 300)
            #expect(try locked.decode(Problem.self).type == ProblemType.rateLimited)
            let change = try await harness.call(
                .post,
                "/api/users/me/password",
                body: ChangePasswordRequest(currentPassword: "the right password", newPassword: "the new password"),
                token: admin.accessToken,
                headers: from()
            )
            #expect(change.status == .tooManyRequests, "checking the current password counts against the same limit")
            #expect(try await harness.login(other.user.email, "the right password", headers: from()).status == .ok)

            let ghost = "ghost.\(UUID().uuidString.prefix(8))@example.ru"
            for _ in 0..<3 {
                #expect(try await harness.login(ghost, "anything at all", headers: from()).status == .unauthorized)
            }
            #expect(
                try await harness.login(ghost, "anything at all", headers: from()).status == .tooManyRequests,
                "an unknown email is limited alike, so the limit tells nothing about which emails exist"
            )
            _ = try await harness.event("users.login_failed") { $0.payload["reason"] == "too_many_failures" }
        }
    }

    // MARK: - create-admin

    @Test("create-admin creates the organization and its admin while registration is closed, with a reset token")
    func createAdmin() async throws {
        try await UsersHarness.with(["USERS_REGISTRATION_ENABLED": "false"]) { harness in
            let configuration = try harness.configuration(["USERS_REGISTRATION_ENABLED": "false"])
            let request = FirstAdminRequest(
                email: "  Boss@Example.RU ",
                fullName: " Главный Администратор ",
                organizationName: "ООО Первая"
            )
            let first = try await createFirstAdmin(request, configuration: configuration, logger: Self.logger)
            #expect(first.createdOrganization && first.createdUser)
            #expect(first.user.email == "Boss@example.ru")
            #expect(first.user.role == .admin && first.user.active)
            #expect(first.user.fullName == "Главный Администратор")
            #expect(first.organization.name == "ООО Первая")
            #expect(abs(first.resetExpiresAt.timeIntervalSinceNow - 3600) < 120)

            let again = try await createFirstAdmin(request, configuration: configuration, logger: Self.logger)
            #expect(!again.createdOrganization && !again.createdUser, "idempotent for the same admin")
            #expect(again.user.id == first.user.id && again.organization.id == first.organization.id)
            #expect(again.resetToken != first.resetToken)

            let stale = try await harness.call(
                .post,
                "/api/auth/password-reset",
                body: PasswordResetRequest(resetToken: first.resetToken, newPassword: "the boss password")
            )
            try Self.expectRefused(stale, "was replaced")
            let set = try await harness.call(
                .post,
                "/api/auth/password-reset",
                body: PasswordResetRequest(resetToken: again.resetToken, newPassword: "the boss password")
            )
            #expect(set.status == .noContent, "\(set.text)")
            let login = try await harness.login("boss@example.ru", "the boss password")
            #expect(login.status == .ok)
            let tokens = try login.decode(TokenResponse.self)
            let me = try await harness.call(.get, "/api/users/me", token: tokens.accessToken).decode(CurrentUser.self)
            #expect(me.organization.id == first.organization.id)
            _ = try await harness.event("users.created") { $0.payload["via"] == "create-admin" }
            _ = try await harness.event("users.password_reset_issued") { $0.payload["via"] == "create-admin" }
        }
    }

    @Test("create-admin refuses a manager's email, another organization's email and bad options")
    func createAdminRefusals() async throws {
        try await UsersHarness.with { harness in
            let configuration = try harness.configuration()
            let admin = try await harness.register(organization: "ООО Ромашка")
            let (manager, _) = try await harness.createUser(admin: admin.accessToken)
            let cases: [(FirstAdminRequest, FirstAdminError)] = [
                (
                    FirstAdminRequest(email: manager.email, fullName: "M", organizationName: "ООО Ромашка"),
                    .notAdmin(email: manager.email, organization: "ООО Ромашка")
                ),
                (
                    FirstAdminRequest(email: admin.user.email, fullName: "A", organizationName: "ООО Другая"),
                    .otherOrganization(email: admin.user.email, organization: "ООО Другая")
                ),
                (
                    FirstAdminRequest(email: "not an email", fullName: "A", organizationName: "X"),
                    .invalid(option: "email", reason: "must be an email address")
                ),
                (
                    FirstAdminRequest(email: "a@example.ru", fullName: "  ", organizationName: "X"),
                    .invalid(option: "full-name", reason: "must not be empty")
                ),
            ]
            for (request, expected) in cases {
                await #expect(throws: expected) {
                    _ = try await createFirstAdmin(request, configuration: configuration, logger: Self.logger)
                }
            }
            let same = try await createFirstAdmin(
                FirstAdminRequest(email: admin.user.email, fullName: "A", organizationName: "ООО Ромашка"),
                configuration: configuration,
                logger: Self.logger
            )
            #expect(same.user.id == admin.user.id && !same.createdUser, "a registered admin is found, not created")
        }
    }

    // MARK: - Helpers

    static let logger = TestInfrastructure.logger("users.create-admin")

    /// Checks that `response` refuses the reset token with a 422 naming `reset_token`, saying `message`.
    static func expectRefused(_ response: TestResponse, _ message: String) throws {
        #expect(response.status == .unprocessableContent, "\(response.text)")
        let errors = try response.decode(Problem.self).errors ?? []
        #expect(errors.map(\.field) == ["reset_token"])
        #expect(errors.first?.message.contains(message) == true, "\(errors)")
    }
}

extension UsersHarness {
    /// Logs in with `email` and `password`.
    func login(_ email: String, _ password: String, headers: HTTPFields = [:]) async throws -> TestResponse {
        try await call(.post, "/api/auth/login", body: LoginRequest(email: email, password: password), headers: headers)
    }
}
