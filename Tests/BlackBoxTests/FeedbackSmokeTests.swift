import Contracts
import Foundation
import Testing

@Suite("Black box: feedback through the proxy")
struct FeedbackSmokeTests {
    @Test("a manager submits feedback and the admin resolves it")
    func submitAndResolve() async throws {
        let suffix = UUID().uuidString.prefix(8).lowercased()
        let adminEmail = "feedback.admin.\(suffix)@example.ru"
        let registered = try await Proxy.send(
            "POST",
            "api/auth/register",
            json: RegisterRequest(
                organizationName: "ООО Отзыв",
                fullName: "Анна Админова",
                email: adminEmail,
                password: "feedback smoke admin"
            )
        )
        #expect(registered.status == 201, "\(registered.text)")
        let admin = try registered.decode(RegistrationResponse.self)

        let managerEmail = "feedback.manager.\(suffix)@example.ru"
        let created = try await Proxy.send(
            "POST",
            "api/users",
            json: CreateUserRequest(
                email: managerEmail,
                fullName: "Иван Менеджеров",
                role: .manager,
                password: "feedback smoke manager"
            ),
            token: admin.accessToken
        )
        #expect(created.status == 201, "\(created.text)")
        let login = try await Proxy.send(
            "POST",
            "api/auth/login",
            json: LoginRequest(email: managerEmail, password: "feedback smoke manager")
        )
        #expect(login.status == 200, "\(login.text)")
        let manager = try login.decode(TokenResponse.self)

        let submitted = try await Proxy.send(
            "POST",
            "api/feedback",
            json: FeedbackSubmission(
                message: "Экспорт в PDF обрезает последнюю строку таблицы",
                category: .bug,
                pageURL: "https://app.example.ru/quotes/42",
                appVersion: "smoke",
                locale: "ru-RU",
                viewport: "1280x800"
            ),
            token: manager.accessToken,
            headers: ["User-Agent": "FeedbackSmoke/1.0", "Idempotency-Key": "smoke-\(suffix)"]
        )
        #expect(submitted.status == 201, "\(submitted.text)")
        let item = try submitted.decode(FeedbackItem.self)
        #expect(item.status == .new)
        #expect(item.context.userAgent == "FeedbackSmoke/1.0")

        let forbidden = try await Proxy.send("GET", "api/admin/feedback", token: manager.accessToken)
        #expect(forbidden.status == 403)

        let queue = try await Proxy.send("GET", "api/admin/feedback?status=new", token: admin.accessToken)
        #expect(queue.status == 200, "\(queue.text)")
        #expect(try queue.decode(ListPage<FeedbackItem>.self).items.map(\.id) == [item.id])

        for status in [FeedbackStatus.inProgress, .resolved] {
            let reviewed = try await Proxy.send(
                "PATCH",
                "api/admin/feedback/\(item.id.wireString)",
                json: FeedbackReview(status: status, adminNote: "Исправлено в smoke"),
                token: admin.accessToken
            )
            #expect(reviewed.status == 200, "\(status): \(reviewed.text)")
        }

        let detail = try await Proxy.send(
            "GET",
            "api/admin/feedback/\(item.id.wireString)",
            token: admin.accessToken
        )
        #expect(detail.status == 200, "\(detail.text)")
        let resolved = try detail.decode(FeedbackItem.self)
        #expect(resolved.status == .resolved)
        #expect(resolved.resolvedBy == admin.user.id)
        #expect(resolved.resolvedAt != nil)
        #expect(resolved.adminNote == "Исправлено в smoke")

        let mine = try await Proxy.send("GET", "api/feedback/mine", token: manager.accessToken)
        #expect(mine.status == 200, "\(mine.text)")
        let own = try mine.decode(ListPage<FeedbackItem>.self)
        #expect(own.items.map(\.id) == [item.id])
        #expect(own.items.first?.status == .resolved)

        let counts = try await Proxy.send("GET", "api/admin/feedback/counts", token: admin.accessToken)
        #expect(
            try counts.decode(FeedbackStatusCounts.self)
                == FeedbackStatusCounts(new: 0, inProgress: 0, resolved: 1, wontFix: 0)
        )
    }
}
