import Foundation

/// An RFC 9457 problem details body (`application/problem+json`), the only shape of an error answer.
public struct Problem: Codable, Sendable, Equatable, Error {
    /// A URI reference naming the kind of problem; `about:blank` when the status says it all.
    public var type: String
    /// A short summary of the kind of problem, the same for every occurrence.
    public var title: String
    /// The HTTP status code.
    public var status: Int
    /// What went wrong in this occurrence, written for the caller.
    public var detail: String?
    /// For validation failures (422), and refusals that concern fields (403): every failing field with its message.
    public var errors: [FieldError]?
    /// The request id the server logged this occurrence under.
    public var requestID: String?

    enum CodingKeys: String, CodingKey {
        case type, title, status, detail, errors
        case requestID = "request_id"
    }

    public init(
        type: String = "about:blank",
        title: String,
        status: Int,
        detail: String? = nil,
        errors: [FieldError]? = nil,
        requestID: String? = nil
    ) {
        self.type = type
        self.title = title
        self.status = status
        self.detail = detail
        self.errors = errors
        self.requestID = requestID
    }

    /// The media type of a problem body.
    public static let mediaType = "application/problem+json"
}

/// One failing field of a request body or query, with a message a person can act on.
public struct FieldError: Codable, Sendable, Equatable, Hashable {
    /// The field's name as sent on the wire (`email`, `items[3].amount`).
    public var field: String
    /// Why the value is not accepted.
    public var message: String

    public init(field: String, message: String) {
        self.field = field
        self.message = message
    }
}
