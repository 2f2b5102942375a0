import Contracts
import Foundation
import ServiceKit

/// Which submissions a list covers: always one organization (the caller's, from the token), optionally one
/// submitter, and the admin queue's filters.
struct FeedbackFilter: Sendable, Equatable {
    var organizationID: UUID
    var userID: UUID?
    var status: FeedbackStatus?
    var category: FeedbackCategory?
    var from: Date?
    var to: Date?
    /// Text the message must contain, case-insensitively.
    var search: String?

    init(
        organizationID: UUID,
        userID: UUID? = nil,
        status: FeedbackStatus? = nil,
        category: FeedbackCategory? = nil,
        from: Date? = nil,
        to: Date? = nil,
        search: String? = nil
    ) {
        self.organizationID = organizationID
        self.userID = userID
        self.status = status
        self.category = category
        self.from = from
        self.to = to
        self.search = search
    }

    /// Reads the admin queue's filters (`status`, `category`, `from`, `to`, `q`), scoped to `organizationID`.
    /// A date `to` includes that whole day.
    init(query: inout QueryParameters, organizationID: UUID) {
        self.organizationID = organizationID
        userID = nil
        status = query.choice("status", as: FeedbackStatus.self)
        category = query.choice("category", as: FeedbackCategory.self)
        from = query.instant("from")
        to = query.instant("to", dateMeansEnd: true)
        if let from, let to, from >= to {
            query.reject("to", "must be after from")
        }
        search = query.string("q", maxLength: 200)?.trimmingCharacters(in: .whitespaces)
        if let search, let problem = FeedbackText.problem(search, maxLength: 200, multiline: false) {
            query.reject("q", problem)
            self.search = nil
        } else if search?.isEmpty == true {
            self.search = nil
        }
    }

    /// The `ILIKE` pattern matching messages that contain ``search`` literally: `%`, `_` and `\` in the
    /// search text are escaped, so they match themselves.
    var searchPattern: String? {
        guard let search else { return nil }
        var pattern = "%"
        for character in search {
            if character == "\\" || character == "%" || character == "_" { pattern.append("\\") }
            pattern.append(character)
        }
        return pattern + "%"
    }
}
