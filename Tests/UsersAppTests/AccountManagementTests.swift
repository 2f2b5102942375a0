import Contracts
import Foundation
import HTTPTypes
import HummingbirdTesting
import ServiceKit
import TestSupport
import Testing

@testable import UsersApp

@Suite("Users: profile, organization, admin user management")
struct AccountManagementTests {
    @Test("the profile is validated per field, phones normalized, and read back in /me")
    func profile() async throws {
        try await UsersHarness.with { harness in
            let admin = try await harness.register(name: "Анна")
            let bad = try await harness.call(
                .patch,
                "/api/users/me/profile",
                json: #"{"full_name":"","phone":"call me maybe","email":"nope","position":7,"nickname":"x"}"#,
                token: admin.accessToken
            )
            #expect(bad.status == .unprocessableContent)
            #expect(
                Set(try bad.decode(Problem.self).errors?.map(\.field) ?? []) == [
                    "full_name", "phone", "email", "position", "nickname",
                ]
            )

            let good = try await harness.call(
                .patch,
                "/api/users/me/profile",
                json:
                    #"{"full_name":"Анна Петрова","position":"Менеджер по продажам","phone":"8 (495) 123-45-67","email":"sales@example.ru"}"#,
                token: admin.accessToken
            )
            #expect(good.status == .ok, "\(good.text)")
            let me = try await harness.call(.get, "/api/users/me", token: admin.accessToken).decode(CurrentUser.self)
            #expect(
                me.profile
                    == ManagerProfile(
                        fullName: "Анна Петрова",
                        position: "Менеджер по продажам",
                        phone: "+74951234567",
                        email: "sales@example.ru"
                    )
            )

            let event = try await harness.event("users.profile_updated")
            #expect(event.payload["changes"]?["phone"] == ["before": nil, "after": "+74951234567"])
            #expect(event.payload["changes"]?["full_name"] == ["before": "Анна", "after": "Анна Петрова"])

            let nul = try await harness.call(
                .patch,
                "/api/users/me/profile",
                json: #"{"position":"a\u0000b","full_name":"  "}"#,
                token: admin.accessToken
            )
            #expect(nul.status == .unprocessableContent, "a NUL never reaches Postgres as a 500")
            let nulErrors = try nul.decode(Problem.self).errors ?? []
            #expect(nulErrors.map(\.field).sorted() == ["full_name", "position"], "one error per field")

            let cleared = try await harness.call(
                .patch,
                "/api/users/me/profile",
                json: #"{"position":null}"#,
                token: admin.accessToken
            )
            #expect(try cleared.decode(CurrentUser.self).profile.position == nil)
        }
    }

    @Test("organization details: INN and KPP checked, website normalized, PATCH for admins only")
    func organization() async throws {
        try await UsersHarness.with { harness in
            let admin = try await harness.register()
            let bad = try await harness.call(
                .patch,
                "/api/organizations/current",
                json: #"{"inn":"7707083894","kpp":"77070100","website":"not a url","email":"x"}"#,
                token: admin.accessToken
            )
            #expect(bad.status == .unprocessableContent)
            #expect(Set(try bad.decode(Problem.self).errors?.map(\.field) ?? []) == ["inn", "kpp", "website", "email"])

            let good = try await harness.call(
                .patch,
                "/api/organizations/current",
                json:
                    #"{"legal_name":"ООО \"Ромашка\"","inn":"7707083893","kpp":"770701001","website":"romashka.ru","phone":"+7 (812) 000-00-00"}"#,
                token: admin.accessToken
            )
            #expect(good.status == .ok, "\(good.text)")
            let organization = try good.decode(Organization.self)
            #expect(organization.inn == "7707083893")
            #expect(organization.website == "https://romashka.ru")
            #expect(organization.phone == "+78120000000")
            _ = try await harness.event("organizations.updated")

            let (_, manager) = try await harness.createUser(admin: admin.accessToken)
            let read = try await harness.call(.get, "/api/organizations/current", token: manager.accessToken)
            #expect(try read.decode(Organization.self).legalName == "ООО \"Ромашка\"")
            let forbidden = try await harness.call(
                .patch,
                "/api/organizations/current",
                json: #"{"name":"Mine"}"#,
                token: manager.accessToken
            )
            #expect(forbidden.status == .forbidden)
        }
    }

    @Test("admins list, create and change users; managers cannot")
    func userManagement() async throws {
        try await UsersHarness.with { harness in
            let admin = try await harness.register()
            let (manager, managerTokens) = try await harness.createUser(admin: admin.accessToken)
            let list = try await harness.call(.get, "/api/users?per_page=1", token: admin.accessToken)
            let page = try list.decode(ListPage<UserAccount>.self)
            #expect(page.total == 2)
            #expect(page.items.count == 1)
            let cursor = try #require(page.nextCursor)
            let next = try await harness.call(.get, "/api/users?per_page=1&cursor=\(cursor)", token: admin.accessToken)
            let second = try next.decode(ListPage<UserAccount>.self)
            #expect(second.items.map(\.id) == [manager.id])
            #expect(second.nextCursor == nil)
            #expect(try await harness.call(.get, "/api/users", token: managerTokens.accessToken).status == .forbidden)
            #expect(try await harness.call(.get, "/api/users/\(manager.id)", token: admin.accessToken).status == .ok)

            let promote = try await harness.call(
                .patch,
                "/api/users/\(manager.id)",
                json: #"{"role":"admin"}"#,
                token: admin.accessToken
            )
            #expect(try promote.decode(UserAccount.self).role == .admin)
            let event = try await harness.event("users.updated")
            #expect(event.payload["changes"]?["role"] == ["before": "manager", "after": "admin"])

            let invalid = try await harness.call(
                .patch,
                "/api/users/\(manager.id)",
                json: #"{"role":"owner","active":"yes"}"#,
                token: admin.accessToken
            )
            #expect(invalid.status == .unprocessableContent)
            // A role is never empty: null is refused, not taken as "left out" (nor is a null `active`).
            let nulls = try await harness.call(
                .patch,
                "/api/users/\(manager.id)",
                json: #"{"role":null,"active":null}"#,
                token: admin.accessToken
            )
            #expect(nulls.status == .unprocessableContent)
            #expect(Set(try nulls.decode(Problem.self).errors?.map(\.field) ?? []) == ["role", "active"])
            let duplicate = try await harness.call(
                .post,
                "/api/users",
                body: CreateUserRequest(
                    email: manager.email,
                    fullName: "X",
                    role: .manager,
                    password: "long enough pw"
                ),
                token: admin.accessToken
            )
            #expect(duplicate.status == .conflict)
        }
    }

    @Test("the last active admin can be neither demoted nor deactivated")
    func lastAdmin() async throws {
        try await UsersHarness.with { harness in
            let admin = try await harness.register()
            let me = admin.user.id
            let demote = try await harness.call(
                .patch,
                "/api/users/\(me)",
                json: #"{"role":"manager"}"#,
                token: admin.accessToken
            )
            #expect(demote.status == .conflict)
            #expect(try demote.decode(Problem.self).type == "urn:quoting:problem:last-admin")
            let deactivate = try await harness.call(
                .patch,
                "/api/users/\(me)",
                json: #"{"active":false}"#,
                token: admin.accessToken
            )
            #expect(deactivate.status == .conflict)

            let (second, _) = try await harness.createUser(admin: admin.accessToken, role: .admin)
            let now = try await harness.call(
                .patch,
                "/api/users/\(me)",
                json: #"{"role":"manager"}"#,
                token: admin.accessToken
            )
            #expect(now.status == .ok, "with a second admin the first may step down")
            #expect(
                try await harness.call(
                    .patch,
                    "/api/users/\(second.id)",
                    json: #"{"active":false}"#,
                    token: admin.accessToken
                ).status == .unauthorized,
                "the token issued while an admin is revoked by the demotion"
            )
        }
    }

    @Test("another organization's user is 404, not 403")
    func crossOrganization() async throws {
        try await UsersHarness.with { harness in
            let first = try await harness.register()
            let second = try await harness.register(organization: "Другая компания")
            for method in [HTTPRequest.Method.get, .patch] {
                let response = try await harness.call(
                    method,
                    "/api/users/\(second.user.id)",
                    json: method == .patch ? #"{"active":false}"# : nil,
                    token: first.accessToken
                )
                #expect(response.status == .notFound)
            }
            #expect(try await harness.call(.get, "/api/users/not-a-uuid", token: first.accessToken).status == .notFound)
        }
    }
}

@Suite("Users: field formats")
struct FieldFormatTests {
    @Test(
        "Russian and international phone numbers become E.164; garbage is refused",
        arguments: [
            ("8 (495) 123-45-67", "+74951234567"), ("+7 495 1234567", "+74951234567"), ("84951234567", "+74951234567"),
            ("7 916 123 45 67", "+79161234567"), ("(916) 123-45-67", "+79161234567"),
            ("+44 20 7946 0958", "+442079460958"),
            ("+7 495 12345", nil), ("12345", nil), ("call me", nil), ("+7 495 123-45-67 ext 5", nil), ("", nil),
        ] as [(String, String?)]
    )
    func phones(input: String, expected: String?) {
        #expect(FieldFormats.phone(input) == expected)
    }

    @Test(
        "INN check digits",
        arguments: [
            ("7707083893", true), ("7707083894", false), ("500100732259", true), ("500100732258", false),
            ("77070838", false), ("77O7083893", false),
        ]
    )
    func inn(value: String, valid: Bool) {
        #expect(OrganizationDetails.isValidINN(value) == valid)
    }

    @Test(
        "KPP format",
        arguments: [
            ("770701001", true), ("7707AB001", true), ("77070100", false), ("7707ab001", false), ("77070100X", false),
        ]
    )
    func kpp(value: String, valid: Bool) {
        #expect(OrganizationDetails.isValidKPP(value) == valid)
    }

    @Test("emails and web addresses")
    func emailsAndURLs() {
        #expect(FieldFormats.email(" Ivan.Petrov@Example.RU ") == "Ivan.Petrov@example.ru")
        #expect(FieldFormats.email("a@b") == nil)
        #expect(FieldFormats.email("no at sign") == nil)
        #expect(FieldFormats.email("two@@example.ru") == nil)
        #expect(FieldFormats.webURL("https://example.ru/path?q=1") == "https://example.ru/path?q=1")
        #expect(FieldFormats.webURL("example.ru", assumeHTTPS: true) == "https://example.ru")
        #expect(FieldFormats.webURL("javascript:alert(1)") == nil)
        #expect(FieldFormats.webURL("ftp://example.ru") == nil)
    }
}
