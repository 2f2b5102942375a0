import Contracts
import Foundation
import HTTPTypes
import HummingbirdTesting
import ServiceKit
import TestSupport
import Testing

@testable import UsersApp

@Suite("Users: cookie mode (the refresh token in an HttpOnly cookie, for the web console)")
struct SessionCookieTests {
    static let cookieMode: HTTPFields = [HTTPField.Name("X-Session-Mode")!: "cookie"]

    /// The `quoting_refresh` cookie an answer sets: its value and its attributes, lower-cased by name.
    static func refreshCookie(_ response: TestResponse) throws -> (value: String, attributes: [String: String]) {
        let header = try #require(response.headers[.setCookie], "no Set-Cookie")
        var parts = header.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
        let pair = parts.removeFirst().split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
        #expect(pair.first == "quoting_refresh")
        var attributes: [String: String] = [:]
        for part in parts {
            let item = part.split(separator: "=", maxSplits: 1)
            attributes[item[0].lowercased()] = item.count > 1 ? String(item[1]) : ""
        }
        return (pair.count > 1 ? String(pair[1]) : "", attributes)
    }

    static func cookieHeader(_ value: String) -> HTTPFields {
        var fields = cookieMode
        fields[.cookie] = "quoting_refresh=\(value)"
        return fields
    }

    @Test("login in cookie mode sets an HttpOnly, SameSite=Strict cookie on /api/auth, not the token in the body")
    func loginSetsCookie() async throws {
        try await UsersHarness.with { harness in
            let registration = try await harness.register(email: "cookie.login@example.ru", password: "cookie password")
            let login = try await harness.call(
                .post,
                "/api/auth/login",
                body: LoginRequest(email: "cookie.login@example.ru", password: "cookie password"),
                headers: Self.cookieMode
            )
            #expect(login.status == .ok, "\(login.text)")
            #expect(!login.text.contains("refresh_token"))
            #expect(login.headers[.cacheControl] == "no-store")
            let tokens = try login.decode(TokenResponse.self)
            #expect(tokens.refreshToken == nil)
            let cookie = try Self.refreshCookie(login)
            #expect(cookie.value.count >= 32)
            #expect(cookie.value != registration.refreshToken)
            #expect(cookie.attributes["httponly"] != nil)
            #expect(cookie.attributes["samesite"] == "Strict")
            #expect(cookie.attributes["path"] == "/api/auth")
            #expect(cookie.attributes["max-age"] == "2592000")
            #expect(cookie.attributes["secure"] == nil, "served over plain HTTP here")
            let me = try await harness.call(.get, "/api/users/me", token: tokens.accessToken)
            #expect(me.status == .ok)

            var overHTTPS = Self.cookieMode
            overHTTPS[HTTPField.Name("X-Forwarded-Proto")!] = "https"
            let secure = try await harness.call(
                .post,
                "/api/auth/login",
                body: LoginRequest(email: "cookie.login@example.ru", password: "cookie password"),
                headers: overHTTPS
            )
            #expect(try Self.refreshCookie(secure).attributes["secure"] != nil)
        }
    }

    @Test("registration in cookie mode sets the cookie too")
    func registrationSetsCookie() async throws {
        try await UsersHarness.with { harness in
            let response = try await harness.call(
                .post,
                "/api/auth/register",
                body: RegisterRequest(
                    organizationName: "ООО Печенье",
                    fullName: "Ольга",
                    email: "cookie.register@example.ru",
                    password: "cookie password"
                ),
                headers: Self.cookieMode
            )
            #expect(response.status == .created, "\(response.text)")
            #expect(try response.decode(RegistrationResponse.self).refreshToken == nil)
            #expect(try Self.refreshCookie(response).value.count >= 32)
        }
    }

    @Test("refresh in cookie mode reads the cookie, rotates it, and a reused one revokes the family")
    func refreshRotatesCookie() async throws {
        try await UsersHarness.with { harness in
            let registration = try await harness.call(
                .post,
                "/api/auth/register",
                body: RegisterRequest(
                    organizationName: "ООО Печенье",
                    fullName: "Ольга",
                    email: "cookie.refresh@example.ru",
                    password: "cookie password"
                ),
                headers: Self.cookieMode
            )
            let first = try Self.refreshCookie(registration).value
            // No body at all: the cookie is the token.
            let refreshed = try await harness.client.execute(
                uri: "/api/auth/refresh",
                method: .post,
                headers: Self.cookieHeader(first)
            )
            #expect(refreshed.status == .ok, "\(refreshed.text)")
            #expect(try refreshed.decode(TokenResponse.self).refreshToken == nil)
            let second = try Self.refreshCookie(refreshed).value
            #expect(second != first)
            let me = try await harness.call(
                .get,
                "/api/users/me",
                token: try refreshed.decode(TokenResponse.self).accessToken
            )
            #expect(me.status == .ok)

            let reused = try await harness.call(
                .post,
                "/api/auth/refresh",
                json: "{}",
                headers: Self.cookieHeader(first)
            )
            #expect(reused.status == .unauthorized)
            #expect(try Self.refreshCookie(reused).attributes["max-age"] == "0", "the browser is told to forget it")
            let newest = try await harness.call(.post, "/api/auth/refresh", headers: Self.cookieHeader(second))
            #expect(newest.status == .unauthorized, "the reuse revoked the whole family")
            _ = try await harness.event("users.token_family_revoked")
        }
    }

    @Test("refresh in cookie mode without a cookie is a 401 that clears it; a body's token is not read there")
    func refreshWithoutCookie() async throws {
        try await UsersHarness.with { harness in
            let registration = try await harness.register()
            let response = try await harness.call(
                .post,
                "/api/auth/refresh",
                body: RefreshRequest(refreshToken: registration.refreshToken),
                headers: Self.cookieMode
            )
            #expect(response.status == .unauthorized)
            #expect(response.headers[.contentType] == Problem.mediaType)
            #expect(try response.decode(Problem.self).detail == "no refresh token was sent: sign in again")
            let cleared = try Self.refreshCookie(response)
            #expect(cleared.value.isEmpty)
            #expect(cleared.attributes["max-age"] == "0")
            #expect(cleared.attributes["path"] == "/api/auth")

            let forged = try await harness.call(.post, "/api/auth/refresh", headers: Self.cookieHeader("forged-token"))
            #expect(forged.status == .unauthorized)
            // Body mode never touches cookies.
            let bodyMode = try await harness.call(.post, "/api/auth/refresh", json: #"{"refresh_token":"made-up"}"#)
            #expect(bodyMode.status == .unauthorized)
            #expect(bodyMode.headers[.setCookie] == nil)
        }
    }

    @Test("logout in cookie mode revokes the cookie's session and clears the cookie, with or without one")
    func logoutClearsCookie() async throws {
        try await UsersHarness.with { harness in
            let login = try await harness.call(
                .post,
                "/api/auth/register",
                body: RegisterRequest(
                    organizationName: "ООО Печенье",
                    fullName: "Ольга",
                    email: "cookie.logout@example.ru",
                    password: "cookie password"
                ),
                headers: Self.cookieMode
            )
            let token = try Self.refreshCookie(login).value
            let out = try await harness.call(.post, "/api/auth/logout", headers: Self.cookieHeader(token))
            #expect(out.status == .noContent)
            #expect(try Self.refreshCookie(out).attributes["max-age"] == "0")
            _ = try await harness.event("users.logged_out")
            let refresh = try await harness.call(.post, "/api/auth/refresh", headers: Self.cookieHeader(token))
            #expect(refresh.status == .unauthorized)

            let without = try await harness.call(.post, "/api/auth/logout", headers: Self.cookieMode)
            #expect(without.status == .noContent)
            #expect(try Self.refreshCookie(without).value.isEmpty)
        }
    }

    @Test("an unknown session mode is a 400, not silently the body mode")
    func unknownMode() async throws {
        try await UsersHarness.with { harness in
            let response = try await harness.call(
                .post,
                "/api/auth/login",
                body: LoginRequest(email: "x@example.ru", password: "whatever password"),
                headers: [HTTPField.Name("X-Session-Mode")!: "localStorage"]
            )
            #expect(response.status == .badRequest)
            #expect(try response.decode(Problem.self).detail?.contains("X-Session-Mode") == true)
        }
    }
}
