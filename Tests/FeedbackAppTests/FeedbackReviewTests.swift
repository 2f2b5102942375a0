import Contracts
import Foundation
import HTTPTypes
import HummingbirdTesting
import ServiceKit
import TestSupport
import Testing

@testable import FeedbackApp

@Suite("Feedback: the admin review queue")
struct FeedbackReviewTests {
    @Test("the queue lists the organization's feedback newest first with the total, and pages")
    func list() async throws {
        try await FeedbackHarness.with { harness in
            let manager = try await harness.managerToken
            for index in 1...5 {
                try await harness.create("Отзыв \(index)", category: .other, token: manager)
            }
            try await harness.create("Другая организация", token: try await harness.otherAdminToken)
            let admin = try await harness.adminToken

            let all = try await harness.adminList(token: admin)
            #expect(all.total == 5)
            #expect(all.page == 1)
            #expect(all.perPage == 20)
            #expect(all.items.map(\.message) == ["Отзыв 5", "Отзыв 4", "Отзыв 3", "Отзыв 2", "Отзыв 1"])
            #expect(all.items.allSatisfy { $0.organizationID == harness.organization })

            let second = try await harness.adminList("?per_page=2&page=2", token: admin)
            #expect(second.total == 5)
            #expect(second.items.map(\.message) == ["Отзыв 3", "Отзыв 2"])
            let beyond = try await harness.adminList("?per_page=2&page=4", token: admin)
            #expect(beyond.items.isEmpty)
            #expect(beyond.total == 5)
        }
    }

    @Test("filters: status, category, date range and free-text search in the message")
    func filters() async throws {
        try await FeedbackHarness.with { harness in
            let manager = try await harness.managerToken
            let admin = try await harness.adminToken
            let pdf = try await harness.create("Не работает экспорт в PDF", category: .bug, token: manager)
            let theme = try await harness.create("Идея: тёмная тема", category: .idea, token: manager)
            let percent = try await harness.create(
                "Скидка 50% не применяется к позиции",
                category: .bug,
                token: manager
            )
            let underscore = try await harness.create("Поле discount_code пустое", category: .question, token: manager)
            let old = try await harness.create("Старый отзыв про pdf", category: .other, token: manager)
            try await harness.age(old.id, by: 3 * 86_400)
            #expect(try await harness.review(pdf.id, #"{"status":"in_progress"}"#, token: admin).status == .ok)

            func ids(_ query: String) async throws -> Set<UUID> {
                Set(try await harness.adminList(query, token: admin).items.map(\.id))
            }
            #expect(try await ids("?status=in_progress") == [pdf.id])
            #expect(try await ids("?status=new") == [theme.id, percent.id, underscore.id, old.id])
            #expect(try await ids("?category=bug") == [pdf.id, percent.id])
            #expect(try await ids("?category=bug&status=new") == [percent.id])
            #expect(try await ids("?q=pdf") == [pdf.id, old.id], "search ignores case")
            #expect(try await ids("?q=%D0%AD%D0%9A%D0%A1%D0%9F%D0%9E%D0%A0%D0%A2") == [pdf.id], "ЭКСПОРТ, in Cyrillic")
            #expect(try await ids("?q=%25") == [percent.id], "% is a literal percent sign")
            #expect(try await ids("?q=_") == [underscore.id], "_ is a literal underscore")
            #expect(try await ids("?q=nothing-like-this").isEmpty)

            let today = CalendarDay(Date())
            #expect(try await ids("?from=\(today.adding(days: -1))") == [pdf.id, theme.id, percent.id, underscore.id])
            #expect(try await ids("?to=\(today.adding(days: -2))") == [old.id])
            #expect(try await ids("?from=\(today.adding(days: -4))&to=\(today.adding(days: -3))") == [old.id])
            #expect(try await ids("?q=pdf&from=\(today)") == [pdf.id])
            let instant = Timestamp.format(Date().addingTimeInterval(-86_400))
            #expect(try await ids("?to=\(instant.replacingOccurrences(of: ":", with: "%3A"))") == [old.id])
        }
    }

    @Test("bad filters and paging are one 422 listing each parameter")
    func badFilters() async throws {
        try await FeedbackHarness.with { harness in
            let admin = try await harness.adminToken
            let response = try await harness.call(
                .get,
                "/api/admin/feedback?status=open&category=praise&from=yesterday&per_page=101&page=-1",
                token: admin
            )
            #expect(response.status == .unprocessableContent)
            #expect(
                Set(try response.decode(Problem.self).errors?.map(\.field) ?? []) == [
                    "status", "category", "from", "per_page", "page",
                ]
            )
            let reversed = try await harness.call(
                .get,
                "/api/admin/feedback?from=2026-05-02&to=2026-05-01",
                token: admin
            )
            #expect(reversed.status == .unprocessableContent)
            #expect(try reversed.decode(Problem.self).errors?.map(\.field) == ["to"])
            let longSearch = try await harness.call(
                .get,
                "/api/admin/feedback?q=\(String(repeating: "a", count: 201))",
                token: admin
            )
            #expect(longSearch.status == .unprocessableContent)
            let control = try await harness.call(.get, "/api/admin/feedback?q=a%00b", token: admin)
            #expect(control.status == .unprocessableContent, "\(control.text)")
            #expect(try control.decode(Problem.self).errors?.map(\.field) == ["q"])
        }
    }

    @Test("counts per status for the badge, of the admin's organization only")
    func counts() async throws {
        try await FeedbackHarness.with { harness in
            let manager = try await harness.managerToken
            let admin = try await harness.adminToken
            let empty = try await harness.call(.get, "/api/admin/feedback/counts", token: admin)
            #expect(empty.status == .ok, "\(empty.text)")
            #expect(
                try empty.decode(FeedbackStatusCounts.self)
                    == FeedbackStatusCounts(new: 0, inProgress: 0, resolved: 0, wontFix: 0)
            )

            var items: [FeedbackItem] = []
            for index in 1...6 { items.append(try await harness.create("Отзыв \(index)", token: manager)) }
            try await harness.create("Чужой", token: try await harness.otherAdminToken)
            for item in items.prefix(4) {
                #expect(try await harness.review(item.id, #"{"status":"in_progress"}"#, token: admin).status == .ok)
            }
            #expect(try await harness.review(items[0].id, #"{"status":"resolved"}"#, token: admin).status == .ok)
            #expect(try await harness.review(items[1].id, #"{"status":"wont_fix"}"#, token: admin).status == .ok)

            let response = try await harness.call(.get, "/api/admin/feedback/counts", token: admin)
            let counts = try response.decode(FeedbackStatusCounts.self)
            #expect(counts == FeedbackStatusCounts(new: 2, inProgress: 2, resolved: 1, wontFix: 1))
            #expect(counts.total == 6)
            #expect(response.text.contains(#""in_progress":2"#))
        }
    }

    @Test("the detail shows everything; an unknown or malformed id is 404")
    func detail() async throws {
        try await FeedbackHarness.with { harness in
            let admin = try await harness.adminToken
            let item = try await harness.create("Подробно", token: try await harness.managerToken)
            #expect(
                try await harness.review(item.id, #"{"admin_note":"Проверить на Safari"}"#, token: admin).status == .ok
            )
            let response = try await harness.call(.get, "/api/admin/feedback/\(item.id)", token: admin)
            #expect(response.status == .ok, "\(response.text)")
            let shown = try response.decode(FeedbackItem.self)
            #expect(shown.id == item.id)
            #expect(shown.adminNote == "Проверить на Safari")
            #expect(shown.context.userAgent == "FeedbackTests/1.0")

            for path in ["/api/admin/feedback/\(UUID())", "/api/admin/feedback/not-a-uuid"] {
                let missing = try await harness.call(.get, path, token: admin)
                #expect(missing.status == .notFound, "\(path)")
                #expect(missing.headers[.contentType] == Problem.mediaType)
                let patched = try await harness.call(.patch, path, json: #"{"status":"in_progress"}"#, token: admin)
                #expect(patched.status == .notFound, "\(path)")
            }
        }
    }

    @Test("statuses move new → in_progress → resolved | wont_fix and back; closing records who and when")
    func allowedTransitions() async throws {
        try await FeedbackHarness.with { harness in
            let admin = try await harness.adminToken
            let item = try await harness.create("Переходы", token: try await harness.managerToken)

            func move(_ status: FeedbackStatus) async throws -> FeedbackItem {
                let response = try await harness.review(item.id, #"{"status":"\#(status.rawValue)"}"#, token: admin)
                #expect(response.status == .ok, "\(status): \(response.text)")
                return try response.decode(FeedbackItem.self)
            }
            let started = try await move(.inProgress)
            #expect(started.status == .inProgress)
            #expect(started.resolvedAt == nil)
            #expect(started.updatedAt >= item.updatedAt)

            let resolved = try await move(.resolved)
            #expect(resolved.status == .resolved)
            #expect(resolved.resolvedBy == harness.admin)
            let resolvedAt = try #require(resolved.resolvedAt)
            #expect(abs(resolvedAt.timeIntervalSinceNow) < 60)

            let reopened = try await move(.inProgress)
            #expect(reopened.resolvedAt == nil)
            #expect(reopened.resolvedBy == nil)

            let declined = try await move(.wontFix)
            #expect(declined.status == .wontFix)
            #expect(declined.resolvedBy == harness.admin)
            #expect(declined.resolvedAt != nil)

            let same = try await move(.wontFix)
            #expect(same == declined, "asking for the current status changes nothing")

            let again = try await move(.inProgress)
            #expect(again.status == .inProgress)

            let events = try await harness.events("feedback.updated", count: 5)
            #expect(events.count == 5)
            #expect(
                events[4].payload["changes"]?["status"] == ["before": "wont_fix", "after": "in_progress"],
                "the repeated wont_fix recorded nothing"
            )
            #expect(events[0].payload["changes"]?["status"] == ["before": "new", "after": "in_progress"])
            #expect(events[1].payload["changes"]?["status"] == ["before": "in_progress", "after": "resolved"])
            #expect(
                events[1].payload["changes"]?["resolved_by"]
                    == ["before": nil, "after": .string(harness.admin.wireString)]
            )
            #expect(events[2].payload["changes"]?["resolved_by"]?["after"] == JSONValue.null)
            #expect(events[1].action == .update)
            #expect(events[1].actor?.userID == harness.admin)
            #expect(events[1].resource == EventResource(type: "feedback", id: item.id.wireString))
            #expect(events[1].payload["changes"]?["message"] == nil, "only what changed")
        }
    }

    @Test("transitions the workflow does not have are refused with 409 and change nothing")
    func refusedTransitions() async throws {
        try await FeedbackHarness.with { harness in
            let admin = try await harness.adminToken
            let item = try await harness.create("Отказы", token: try await harness.managerToken)

            func refused(_ status: FeedbackStatus, from current: FeedbackStatus) async throws {
                let response = try await harness.review(item.id, #"{"status":"\#(status.rawValue)"}"#, token: admin)
                #expect(response.status == .conflict, "\(current) → \(status): \(response.text)")
                let problem = try response.decode(Problem.self)
                #expect(problem.type == "urn:quoting:problem:feedback-status-transition")
                #expect(problem.detail?.contains(current.rawValue) == true)
            }
            try await refused(.resolved, from: .new)
            try await refused(.wontFix, from: .new)
            #expect(try await harness.review(item.id, #"{"status":"in_progress"}"#, token: admin).status == .ok)
            try await refused(.new, from: .inProgress)
            #expect(try await harness.review(item.id, #"{"status":"resolved"}"#, token: admin).status == .ok)
            try await refused(.wontFix, from: .resolved)
            try await refused(.new, from: .resolved)

            let refusedWithNote = try await harness.review(
                item.id,
                #"{"status":"new","admin_note":"не сохранится"}"#,
                token: admin
            )
            #expect(refusedWithNote.status == .conflict)
            let shown = try await harness.call(.get, "/api/admin/feedback/\(item.id)", token: admin)
                .decode(FeedbackItem.self)
            #expect(shown.status == .resolved)
            #expect(shown.adminNote == nil, "a refused review changes nothing")
        }
    }

    @Test("the review body is validated: status values, null, note length, unknown fields")
    func reviewValidation() async throws {
        try await FeedbackHarness.with { harness in
            let admin = try await harness.adminToken
            let item = try await harness.create("Проверка тела", token: try await harness.managerToken)
            let cases: [(body: String, fields: [String])] = [
                (#"{"status":"closed"}"#, ["status"]),
                (#"{"status":null}"#, ["status"]),
                (#"{"status":3}"#, ["status"]),
                (#"{"admin_note":""}"#, ["admin_note"]),
                (#"{"admin_note":"\#(String(repeating: "x", count: 5001))"}"#, ["admin_note"]),
                (#"{"admin_note":"a\u0007b"}"#, ["admin_note"]),
                (#"{"admin_note":false}"#, ["admin_note"]),
                (#"{"resolved_by":"me","status":"in_progress"}"#, ["resolved_by"]),
            ]
            for (body, fields) in cases {
                let response = try await harness.review(item.id, body, token: admin)
                #expect(response.status == .unprocessableContent, "\(body.prefix(60)): \(response.text)")
                #expect(try response.decode(Problem.self).errors?.map(\.field) == fields, "\(body.prefix(60))")
            }
            let malformed = try await harness.review(item.id, "[1]", token: admin)
            #expect(malformed.status == .badRequest)
            let shown = try await harness.call(.get, "/api/admin/feedback/\(item.id)", token: admin)
                .decode(FeedbackItem.self)
            #expect(shown == item, "refused reviews change nothing")
        }
    }

    @Test("the admin note is set, kept, and cleared with null; a review that changes nothing records nothing")
    func adminNote() async throws {
        try await FeedbackHarness.with { harness in
            let admin = try await harness.adminToken
            let item = try await harness.create("Заметки", token: try await harness.managerToken)

            let noted = try await harness.review(
                item.id,
                #"{"admin_note":"  Воспроизводится в Chrome  "}"#,
                token: admin
            )
            #expect(try noted.decode(FeedbackItem.self).adminNote == "Воспроизводится в Chrome")
            let multiline = try await harness.review(
                item.id,
                #"{"admin_note":"Шаги:\n1. Открыть\n2. Нажать"}"#,
                token: admin
            )
            #expect(try multiline.decode(FeedbackItem.self).adminNote == "Шаги:\n1. Открыть\n2. Нажать")

            let kept = try await harness.review(item.id, #"{"status":"in_progress"}"#, token: admin)
            #expect(try kept.decode(FeedbackItem.self).adminNote == "Шаги:\n1. Открыть\n2. Нажать")

            let unchanged = try await harness.review(item.id, "{}", token: admin)
            #expect(unchanged.status == .ok)
            let cleared = try await harness.review(item.id, #"{"admin_note":null}"#, token: admin)
            #expect(try cleared.decode(FeedbackItem.self).adminNote == nil)
            let clearedAgain = try await harness.review(item.id, #"{"admin_note":null}"#, token: admin)
            #expect(clearedAgain.status == .ok)

            // A last real change: once its event is out, every earlier one is too (the relay keeps order).
            #expect(try await harness.review(item.id, #"{"status":"resolved"}"#, token: admin).status == .ok)
            let events = try await harness.events("feedback.updated", count: 5)
            #expect(events.count == 5)
            #expect(
                events[4].payload["changes"]?["status"] == ["before": "in_progress", "after": "resolved"],
                "empty and repeated reviews record nothing"
            )
            #expect(
                events[0].payload["changes"]?["admin_note"] == ["before": nil, "after": "Воспроизводится в Chrome"]
            )
            #expect(events[3].payload["changes"]?["admin_note"]?["after"] == JSONValue.null)
        }
    }

    @Test("a manager gets 403 on every admin route, an anonymous caller 401")
    func roles() async throws {
        try await FeedbackHarness.with { harness in
            let manager = try await harness.managerToken
            let item = try await harness.create("Мой отзыв", token: manager)
            let routes: [(HTTPRequest.Method, String, String?)] = [
                (.get, "/api/admin/feedback", nil),
                (.get, "/api/admin/feedback/counts", nil),
                (.get, "/api/admin/feedback/\(item.id)", nil),
                (.patch, "/api/admin/feedback/\(item.id)", #"{"status":"in_progress"}"#),
            ]
            for (method, path, body) in routes {
                let forbidden = try await harness.call(method, path, json: body, token: manager)
                #expect(forbidden.status == .forbidden, "\(method) \(path)")
                #expect(forbidden.headers[.contentType] == Problem.mediaType)
                let anonymous = try await harness.call(method, path, json: body)
                #expect(anonymous.status == .unauthorized, "\(method) \(path)")
            }
            let shown = try await harness.call(
                .get,
                "/api/admin/feedback/\(item.id)",
                token: try await harness.adminToken
            )
            #expect(try shown.decode(FeedbackItem.self).status == .new, "the manager's PATCH changed nothing")
        }
    }

    @Test("another organization's feedback is 404 to an admin, and neither listed nor counted")
    func organizationIsolation() async throws {
        try await FeedbackHarness.with { harness in
            let mine = try await harness.create("Наш отзыв", token: try await harness.managerToken)
            let other = try await harness.otherAdminToken
            let theirs = try await harness.create("Их отзыв", token: other)
            let admin = try await harness.adminToken

            #expect(try await harness.call(.get, "/api/admin/feedback/\(theirs.id)", token: admin).status == .notFound)
            let patched = try await harness.review(theirs.id, #"{"status":"in_progress"}"#, token: admin)
            #expect(patched.status == .notFound)
            #expect(try await harness.adminList(token: admin).items.map(\.id) == [mine.id])
            #expect(try await harness.adminList("?q=%D0%98%D1%85", token: admin).items.isEmpty)
            let counts = try await harness.call(.get, "/api/admin/feedback/counts", token: admin)
            #expect(try counts.decode(FeedbackStatusCounts.self).total == 1)

            let untouched = try await harness.call(.get, "/api/admin/feedback/\(theirs.id)", token: other)
            #expect(try untouched.decode(FeedbackItem.self).status == .new)
            #expect(try await harness.call(.get, "/api/admin/feedback/\(mine.id)", token: other).status == .notFound)
        }
    }
}
