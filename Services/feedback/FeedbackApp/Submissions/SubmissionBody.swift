import Contracts
import ServiceKit

/// The body of `POST /api/feedback`, read and checked: the message, its category, and the parts of the context
/// the client sends (the user agent comes from the header). Any other field is refused.
struct SubmissionBody: Decodable {
    let submission: FeedbackSubmission

    init(from decoder: any Decoder) throws {
        var body = try JSONBody(
            from: decoder,
            allowed: ["message", "category", "page_url", "app_version", "locale", "viewport"]
        )
        let message = FeedbackText.required(&body, "message", maxLength: 5000, multiline: true)
        let category = body.choice("category", as: FeedbackCategory.self, required: true)
        var pageURL = FeedbackText.optional(&body, "page_url", maxLength: 2048)
        if let text = pageURL, FieldFormats.webURL(text) == nil {
            body.reject("page_url", "must be an http or https address, such as https://app.example.ru/quotes/42")
            pageURL = nil
        }
        let appVersion = FeedbackText.optional(&body, "app_version", maxLength: 64)
        let locale = FeedbackText.optional(&body, "locale", maxLength: 35)
        let viewport = FeedbackText.optional(&body, "viewport", maxLength: 32)
        guard let message, let category else { throw body.invalid }
        try body.validate()
        submission = FeedbackSubmission(
            message: message,
            category: category,
            pageURL: pageURL,
            appVersion: appVersion,
            locale: locale,
            viewport: viewport
        )
    }
}
