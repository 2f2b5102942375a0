import Contracts
import Foundation
import HTTPTypes
import HummingbirdTesting
import ServiceKit
import TestSupport
import Testing

@testable import UsersApp

@Suite("Users: passwords")
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
}

extension UsersHarness {
    /// Logs in with `email` and `password`.
    func login(_ email: String, _ password: String, headers: HTTPFields = [:]) async throws -> TestResponse {
        try await call(.post, "/api/auth/login", body: LoginRequest(email: email, password: password), headers: headers)
    }
}
