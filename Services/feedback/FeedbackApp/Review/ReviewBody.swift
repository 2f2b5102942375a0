import Contracts
import ServiceKit

/// The body of `PATCH /api/admin/feedback/{id}`, read and checked: a new status (null is refused: a submission
/// always has one) and the internal note (null clears it). A field left out stays as it is.
struct ReviewBody: Decodable {
    let status: FeedbackStatus?
    let adminNote: Patch<String>

    init(from decoder: any Decoder) throws {
        var body = try JSONBody(from: decoder, allowed: ["status", "admin_note"])
        status = body.choice("status", as: FeedbackStatus.self)
        adminNote = FeedbackText.patch(&body, "admin_note", maxLength: 5000, multiline: true)
        try body.validate()
    }
}
