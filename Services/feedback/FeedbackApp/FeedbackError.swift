import Contracts
import ServiceKit

/// Why a feedback request was refused.
enum FeedbackError: ProblemReporting, Equatable {
    /// No submission with this id in the caller's organization (another organization's is answered the same).
    case submissionNotFound
    /// The review status cannot move from `from` to `to`.
    case transitionRefused(from: FeedbackStatus, to: FeedbackStatus)
    /// The `Idempotency-Key` was used before with a different body.
    case idempotencyKeyReused

    var problem: Problem {
        switch self {
        case .submissionNotFound:
            Problem(title: "Not Found", status: 404, detail: "there is no feedback with this id in your organization")
        case .transitionRefused(let from, let to):
            Problem(
                type: "urn:quoting:problem:feedback-status-transition",
                title: "Conflict",
                status: 409,
                detail: "feedback that is \(from.rawValue) cannot become \(to.rawValue); it can become "
                    + from.next.map(\.rawValue).joined(separator: " or ")
            )
        case .idempotencyKeyReused:
            Problem(
                type: "urn:quoting:problem:idempotency-key-reused",
                title: "Unprocessable Content",
                status: 422,
                detail: "this Idempotency-Key was already used for a different submission; use a new key"
            )
        }
    }
}

extension FeedbackStatus {
    /// The statuses a submission in this status may move to: `new` → `in_progress` → `resolved` | `wont_fix`,
    /// and a closed submission may be reopened (back to `in_progress`).
    var next: [FeedbackStatus] {
        switch self {
        case .new: [.inProgress]
        case .inProgress: [.resolved, .wontFix]
        case .resolved, .wontFix: [.inProgress]
        }
    }

    /// Whether the submission is closed: it then carries who closed it and when.
    var isClosed: Bool { self == .resolved || self == .wontFix }
}
