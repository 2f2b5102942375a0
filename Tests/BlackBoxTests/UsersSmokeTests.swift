import Contracts
import Foundation
import Testing

@Suite("Black box: users through the proxy")
struct UsersSmokeTests {
    @Test("register, log in, edit the profile and read it back")
    func registerLoginProfile() async throws {
        let email = "smoke.\(UUID().uuidString.prefix(8).lowercased())@example.ru"
        let registered = try await Proxy.send(
            "POST",
            "api/auth/register",
            json: RegisterRequest(
                organizationName: "ООО Смоук",
                fullName: "Дым Дымыч",
                email: email,
                password: "smoke test password"
            )
        )
        #expect(registered.status == 201, "\(registered.text)")

        let login = try await Proxy.send(
            "POST",
            "api/auth/login",
            json: LoginRequest(email: email, password: "smoke test password")
        )
        #expect(login.status == 200, "\(login.text)")
        let tokens = try login.decode(TokenResponse.self)

        let patched = try await Proxy.send(
            "PATCH",
            "api/users/me/profile",
            raw: #"{"position":"Руководитель отдела продаж","phone":"8 (495) 123-45-67"}"#,
            token: tokens.accessToken
        )
        #expect(patched.status == 200, "\(patched.text)")

        let me = try await Proxy.send("GET", "api/users/me", token: tokens.accessToken)
        #expect(me.status == 200)
        let current = try me.decode(CurrentUser.self)
        #expect(current.profile.position == "Руководитель отдела продаж")
        #expect(current.profile.phone == "+74951234567")
        #expect(current.organization.name == "ООО Смоук")

        let wrong = try await Proxy.send("POST", "api/auth/login", json: LoginRequest(email: email, password: "wrong"))
        #expect(wrong.status == 401)
        #expect(wrong.headers["content-type"] == Problem.mediaType)
    }
}
