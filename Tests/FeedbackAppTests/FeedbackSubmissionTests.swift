import Contracts
import Foundation
import HTTPTypes
import HummingbirdTesting
import ServiceKit
import TestSupport
import Testing

@testable import FeedbackApp

@Suite("Feedback: submitting and the submitter's own list")
struct FeedbackSubmissionTests {
    @Test("a signed-in user's submission is stored with its context and the user agent from the header")
    func submit() async throws {
        try await FeedbackHarness.with { harness in
            let token = try await harness.managerToken
            let response = try await harness.submit(
                FeedbackSubmission(
                    message: "  Экспорт в PDF обрезает таблицу  ",
                    category: .bug,
                    pageURL: "https://app.example.ru/quotes/42?tab=items",
                    appVersion: "2.4.1",
                    locale: "ru-RU",
                    viewport: "1920x1080"
                ),
                token: token,
                userAgent: "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0"
            )
            #expect(response.status == .created, "\(response.text)")
            let item = try response.decode(FeedbackItem.self)
            #expect(item.message == "Экспорт в PDF обрезает таблицу")
            #expect(item.category == .bug)
            #expect(item.status == .new)
            #expect(item.organizationID == harness.organization)
            #expect(item.userID == harness.manager)
            #expect(item.userEmail?.hasPrefix("manager.") == true)
            #expect(
                item.context
                    == FeedbackContext(
                        pageURL: "https://app.example.ru/quotes/42?tab=items",
                        userAgent: "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0",
                        appVersion: "2.4.1",
                        locale: "ru-RU",
                        viewport: "1920x1080"
                    )
            )
            #expect(item.resolvedAt == nil)
            #expect(item.adminNote == nil)

            let minimal = try await harness.submit(
                FeedbackSubmission(message: "Можно добавить тёмную тему?", category: .idea),
                token: token,
                userAgent: nil
            )
            #expect(minimal.status == .created, "\(minimal.text)")
            #expect(try minimal.decode(FeedbackItem.self).context == FeedbackContext())
        }
    }

    @Test("a submission records a feedback.created event with the message, the actor and the request id")
    func createdEvent() async throws {
        try await FeedbackHarness.with { harness in
            let response = try await harness.submit(
                FeedbackSubmission(message: "Курс ЦБ не обновился", category: .question, locale: "ru-RU"),
                token: try await harness.managerToken,
                userAgent: "Safari/17"
            )
            let item = try response.decode(FeedbackItem.self)
            let event = try #require(try await harness.events("feedback.created", count: 1).first)
            #expect(event.action == .create)
            #expect(event.resource == EventResource(type: "feedback", id: item.id.wireString))
            #expect(event.organizationID == harness.organization)
            #expect(event.actor?.userID == harness.manager)
            #expect(event.actor?.userAgent == "Safari/17")
            #expect(event.source.service == "feedback")
            #expect(event.requestID?.isEmpty == false)
            #expect(event.payload["after"]?["message"] == "Курс ЦБ не обновился")
            #expect(event.payload["after"]?["category"] == "question")
            #expect(event.payload["after"]?["status"] == "new")
            #expect(event.payload["after"]?["locale"] == "ru-RU")
        }
    }

    @Test("submitting needs a signed-in user")
    func anonymous() async throws {
        try await FeedbackHarness.with { harness in
            let response = try await harness.call(.post, "/api/feedback", json: #"{"message":"hi","category":"bug"}"#)
            #expect(response.status == .unauthorized)
            #expect(response.headers[.contentType] == Problem.mediaType)
            let invalid = try await harness.call(
                .post,
                "/api/feedback",
                json: #"{"message":"hi","category":"bug"}"#,
                token: "Bearer not-a-token"
            )
            #expect(invalid.status == .unauthorized)
            #expect(try await harness.call(.get, "/api/feedback/mine").status == .unauthorized)
        }
    }

    @Test("every field is validated and every problem listed in one 422")
    func validation() async throws {
        let cases: [(body: String, fields: [String])] = [
            (#"{"category":"bug"}"#, ["message"]),
            (#"{"message":null,"category":"bug"}"#, ["message"]),
            (#"{"message":"   ","category":"bug"}"#, ["message"]),
            (#"{"message":42,"category":"bug"}"#, ["message"]),
            (#"{"message":"a\u0000b","category":"bug"}"#, ["message"]),
            (#"{"message":"hi"}"#, ["category"]),
            (#"{"message":"hi","category":"complaint"}"#, ["category"]),
            (#"{"message":"hi","category":null}"#, ["category"]),
            (#"{"message":"hi","category":"bug","page_url":"ftp://files.example.ru/a"}"#, ["page_url"]),
            (#"{"message":"hi","category":"bug","page_url":"javascript:alert(1)"}"#, ["page_url"]),
            (#"{"message":"hi","category":"bug","page_url":"/quotes/42"}"#, ["page_url"]),
            (#"{"message":"hi","category":"bug","page_url":7}"#, ["page_url"]),
            (#"{"message":"hi","category":"bug","locale":"ru\nRU"}"#, ["locale"]),
            (#"{"message":"hi","category":"bug","user_agent":"curl/8"}"#, ["user_agent"]),
            (#"{"message":"hi","category":"bug","priority":"high"}"#, ["priority"]),
            (
                #"{"message":"","category":"nope","page_url":"x","app_version":[],"locale":true,"viewport":{},"x":1}"#,
                ["message", "category", "page_url", "app_version", "locale", "viewport", "x"]
            ),
        ]
        try await FeedbackHarness.with { harness in
            let token = try await harness.managerToken
            for (body, fields) in cases {
                let response = try await harness.call(.post, "/api/feedback", json: body, token: token)
                #expect(response.status == .unprocessableContent, "\(body): \(response.text)")
                #expect(response.headers[.contentType] == Problem.mediaType)
                let problem = try response.decode(Problem.self)
                #expect(problem.errors?.map(\.field).sorted() == fields.sorted(), "\(body): one error per field")
            }
            #expect(try await harness.storedSubmissions() == 0)
        }
    }

    @Test("every text field has a length limit; the message takes up to 5,000 characters")
    func lengths() async throws {
        try await FeedbackHarness.with { harness in
            let token = try await harness.managerToken
            let limits = [("message", 5000), ("page_url", 2048), ("app_version", 64), ("locale", 35), ("viewport", 32)]
            for (field, limit) in limits {
                var members: [String: JSONValue] = ["message": "Слишком длинно", "category": "other"]
                let prefix = field == "page_url" ? "https://example.ru/" : ""
                members[field] = .string(prefix + String(repeating: "я", count: limit + 1 - prefix.count))
                let response = try await harness.call(
                    .post,
                    "/api/feedback",
                    body: JSONValue.object(members),
                    token: token
                )
                #expect(response.status == .unprocessableContent, "\(field)")
                #expect(
                    try response.decode(Problem.self).errors
                        == [FieldError(field: field, message: "must be at most \(limit) characters")]
                )
            }
            // Combining marks make one character of several Unicode scalars; the limit counts scalars, as the
            // database does, so such a message is refused rather than failing in the database.
            let combined = String(repeating: "е\u{0301}", count: 2501)
            let tooLong = try await harness.submit(
                FeedbackSubmission(message: combined, category: .other),
                token: token
            )
            #expect(tooLong.status == .unprocessableContent, "\(tooLong.text)")

            let longest = String(repeating: "ж", count: 5000)
            let accepted = try await harness.submit(
                FeedbackSubmission(message: longest, category: .other),
                token: token
            )
            #expect(accepted.status == .created, "\(accepted.text)")
            #expect(try accepted.decode(FeedbackItem.self).message == longest)

            let agent = String(repeating: "a", count: 3000)
            let longAgent = try await harness.submit(
                FeedbackSubmission(message: "Длинный user agent", category: .other),
                token: token,
                userAgent: agent
            )
            #expect(longAgent.status == .created, "a long user agent is cut, not refused")
            #expect(try longAgent.decode(FeedbackItem.self).context.userAgent?.count == 1000)
        }
    }

    @Test("a body that is not a JSON object is a 400")
    func malformed() async throws {
        try await FeedbackHarness.with { harness in
            let token = try await harness.managerToken
            for body in [#"{"message":"#, "[]", #""bug""#, ""] {
                let response = try await harness.call(.post, "/api/feedback", json: body, token: token)
                #expect(response.status == .badRequest, "\(body)")
                #expect(response.headers[.contentType] == Problem.mediaType)
            }
        }
    }

    @Test("an identical message from the same user within ten minutes answers the earlier submission")
    func duplicates() async throws {
        try await FeedbackHarness.with { harness in
            let token = try await harness.managerToken
            let first = try await harness.create("Кнопка «Сохранить» не работает", token: token)

            let again = try await harness.submit(
                FeedbackSubmission(message: " Кнопка «Сохранить» не работает ", category: .bug),
                token: token
            )
            #expect(again.status == .ok, "\(again.text)")
            #expect(try again.decode(FeedbackItem.self).id == first.id)

            let different = try await harness.create("Кнопка «Сохранить» не работает!", token: token)
            #expect(different.id != first.id)
            let otherUser = try await harness.create(
                "Кнопка «Сохранить» не работает",
                token: try await harness.token(harness.secondManager, role: .manager)
            )
            #expect(otherUser.id != first.id)

            try await harness.age(first.id, by: 9 * 60)
            let stillDuplicate = try await harness.submit(
                FeedbackSubmission(message: "Кнопка «Сохранить» не работает", category: .bug),
                token: token
            )
            #expect(stillDuplicate.status == .ok)

            try await harness.age(first.id, by: 2 * 60)
            let later = try await harness.create("Кнопка «Сохранить» не работает", token: token)
            #expect(later.id != first.id, "after ten minutes the same message is new feedback")

            // Each submission made one event and the duplicates none: the relay publishes in order, so a stray
            // event would show up before the last submission's.
            let created = try await harness.events("feedback.created", count: 4)
            #expect(
                created.map(\.resource.id)
                    == [first, different, otherUser, later].map { $0.id.wireString }
            )
            #expect(try await harness.storedSubmissions() == 4)
        }
    }

    @Test("a retry with the same Idempotency-Key gets the first submission, even after ten minutes")
    func idempotencyKey() async throws {
        try await FeedbackHarness.with { harness in
            let token = try await harness.managerToken
            let submission = FeedbackSubmission(message: "Не открывается карточка клиента", category: .bug)
            let first = try await harness.submit(submission, token: token, idempotencyKey: "retry-7f3c")
            #expect(first.status == .created, "\(first.text)")
            let item = try first.decode(FeedbackItem.self)

            try await harness.age(item.id, by: 3600)
            let retry = try await harness.submit(submission, token: token, idempotencyKey: "retry-7f3c")
            #expect(retry.status == .ok, "\(retry.text)")
            #expect(try retry.decode(FeedbackItem.self).id == item.id)

            let without = try await harness.submit(submission, token: token)
            #expect(without.status == .created, "without the key, an hour later, it is new feedback")

            let otherUser = try await harness.submit(
                submission,
                token: try await harness.token(harness.secondManager, role: .manager),
                idempotencyKey: "retry-7f3c"
            )
            #expect(otherUser.status == .created, "keys belong to their user")
            #expect(try otherUser.decode(FeedbackItem.self).id != item.id)
            #expect(try await harness.storedSubmissions() == 3)
        }
    }

    @Test("an Idempotency-Key reused with a different body is refused; a malformed key is a 400")
    func idempotencyKeyMisuse() async throws {
        try await FeedbackHarness.with { harness in
            let token = try await harness.managerToken
            let first = try await harness.submit(
                FeedbackSubmission(message: "Первое", category: .idea),
                token: token,
                idempotencyKey: "key-1"
            )
            #expect(first.status == .created)
            for changed in [
                FeedbackSubmission(message: "Второе", category: .idea),
                FeedbackSubmission(message: "Первое", category: .bug),
                FeedbackSubmission(message: "Первое", category: .idea, locale: "en-US"),
            ] {
                let reused = try await harness.submit(changed, token: token, idempotencyKey: "key-1")
                #expect(reused.status == .unprocessableContent, "\(reused.text)")
                #expect(try reused.decode(Problem.self).type == "urn:quoting:problem:idempotency-key-reused")
            }
            for key in [String(repeating: "k", count: 256), "ключ", "two words"] {
                let malformed = try await harness.submit(
                    FeedbackSubmission(message: "Третье", category: .idea),
                    token: token,
                    idempotencyKey: key
                )
                #expect(malformed.status == .badRequest, "\(key)")
            }
            #expect(try await harness.storedSubmissions() == 1)
        }
    }

    @Test("a duplicate found through the ten-minute rule is remembered under the retry's key")
    func keyOnDuplicate() async throws {
        try await FeedbackHarness.with { harness in
            let token = try await harness.managerToken
            let first = try await harness.create("Не сходится итог", category: .bug, token: token)
            let keyed = try await harness.submit(
                FeedbackSubmission(message: "Не сходится итог", category: .question),
                token: token,
                idempotencyKey: "dup-key"
            )
            #expect(keyed.status == .ok)
            #expect(try keyed.decode(FeedbackItem.self).id == first.id)
            try await harness.age(first.id, by: 3600)
            let retry = try await harness.submit(
                FeedbackSubmission(message: "Не сходится итог", category: .question),
                token: token,
                idempotencyKey: "dup-key"
            )
            #expect(retry.status == .ok, "the key still names the submission its first request was answered with")
            #expect(try retry.decode(FeedbackItem.self).id == first.id)
        }
    }

    @Test("concurrent retries with one Idempotency-Key create one submission")
    func concurrentRetries() async throws {
        try await FeedbackHarness.with { harness in
            let token = try await harness.managerToken
            let submission = FeedbackSubmission(message: "Двойной клик по кнопке", category: .bug)
            let answers = try await withThrowingTaskGroup(of: (HTTPResponse.Status, UUID).self) { group in
                for _ in 0..<6 {
                    group.addTask {
                        let response = try await harness.submit(
                            submission,
                            token: token,
                            idempotencyKey: "double-click"
                        )
                        return (response.status, try response.decode(FeedbackItem.self).id)
                    }
                }
                var answers: [(HTTPResponse.Status, UUID)] = []
                for try await answer in group { answers.append(answer) }
                return answers
            }
            #expect(answers.filter { $0.0 == .created }.count == 1)
            #expect(answers.filter { $0.0 == .ok }.count == 5)
            #expect(Set(answers.map(\.1)).count == 1)
            #expect(try await harness.storedSubmissions() == 1)
        }
    }

    @Test("my submissions: newest first, paged, only mine, without the reviewers' note")
    func mine() async throws {
        try await FeedbackHarness.with { harness in
            let token = try await harness.managerToken
            var created: [FeedbackItem] = []
            for index in 1...5 {
                created.append(try await harness.create("Отзыв номер \(index)", category: .other, token: token))
            }
            try await harness.create(
                "Чужой отзыв",
                token: try await harness.token(harness.secondManager, role: .manager)
            )
            try await harness.create("Отзыв из другой организации", token: try await harness.otherAdminToken)
            let noted = try await harness.review(
                created[0].id,
                #"{"status":"in_progress","admin_note":"Внутренняя заметка"}"#,
                token: try await harness.adminToken
            )
            #expect(noted.status == .ok, "\(noted.text)")

            let firstPage = try await harness.call(.get, "/api/feedback/mine?per_page=2", token: token)
            #expect(firstPage.status == .ok, "\(firstPage.text)")
            let page = try firstPage.decode(ListPage<FeedbackItem>.self)
            #expect(page.total == 5)
            #expect(page.perPage == 2)
            #expect(page.items.map(\.message) == ["Отзыв номер 5", "Отзыв номер 4"])

            let lastPage = try await harness.call(.get, "/api/feedback/mine?per_page=2&page=3", token: token)
            let last = try lastPage.decode(ListPage<FeedbackItem>.self)
            #expect(last.items.map(\.message) == ["Отзыв номер 1"])
            #expect(last.items.first?.status == .inProgress)
            #expect(!lastPage.text.contains("admin_note"), "the reviewers' note stays in the review queue")

            let bad = try await harness.call(.get, "/api/feedback/mine?per_page=500&page=0", token: token)
            #expect(bad.status == .unprocessableContent)
            #expect(Set(try bad.decode(Problem.self).errors?.map(\.field) ?? []) == ["per_page", "page"])

            // next_cursor walks the same list, at any depth; numbered pages stop at 10,000 rows.
            var messages: [String] = []
            var cursor: String? = nil
            repeat {
                let query = "per_page=2" + (cursor.map { "&cursor=\($0)" } ?? "")
                let answer = try await harness.call(.get, "/api/feedback/mine?\(query)", token: token)
                let listed = try answer.decode(ListPage<FeedbackItem>.self)
                messages += listed.items.map(\.message)
                cursor = listed.nextCursor
            } while cursor != nil
            #expect(messages == (1...5).reversed().map { "Отзыв номер \($0)" })
            let deep = try await harness.call(.get, "/api/feedback/mine?per_page=100&page=101", token: token)
            #expect(deep.status == .badRequest)
            #expect(try deep.decode(Problem.self).detail?.contains("cursor") == true)
            let forged = try await harness.call(.get, "/api/feedback/mine?cursor=not-a-cursor", token: token)
            #expect(forged.status == .unprocessableContent)
        }
    }
}
