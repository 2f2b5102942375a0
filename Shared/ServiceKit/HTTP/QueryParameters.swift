import Contracts
import Foundation
import Hummingbird

/// Reads and checks query parameters, collecting every problem so the caller gets all of them in one 422.
package struct QueryParameters {
    private let parameters: [String: String]
    /// Every parameter that was present but not acceptable.
    package private(set) var errors: [FieldError] = []
    private var unanswerable: String?

    package init(_ request: Request) {
        var parameters: [String: String] = [:]
        var errors: [FieldError] = []
        for (name, value) in request.uri.queryParameters {
            // `%00`, other control characters and invisible ones: no filter accepts them, and Postgres cannot
            // store NUL.
            if let problem = FreeText.problem(in: String(value), multiline: false) {
                errors.append(FieldError(field: String(name), message: problem))
                continue
            }
            parameters[String(name)] = String(value)
        }
        self.parameters = parameters
        self.errors = errors
    }

    /// The raw text of `name`, nil when absent or empty.
    package func raw(_ name: String) -> String? {
        guard let value = parameters[name], !value.isEmpty else { return nil }
        return value
    }

    /// Text up to `maxLength` characters.
    package mutating func string(_ name: String, maxLength: Int = 200) -> String? {
        guard let value = raw(name) else { return nil }
        guard value.count <= maxLength else {
            errors.append(FieldError(field: name, message: "must be at most \(maxLength) characters"))
            return nil
        }
        return value
    }

    /// A UUID.
    package mutating func uuid(_ name: String) -> UUID? {
        guard let value = raw(name) else { return nil }
        guard let uuid = UUID(uuidString: value) else {
            errors.append(FieldError(field: name, message: "must be a UUID"))
            return nil
        }
        return uuid
    }

    /// An integer within `range`.
    package mutating func int(_ name: String, in range: ClosedRange<Int>) -> Int? {
        guard let value = raw(name) else { return nil }
        guard let number = Int(value), range.contains(number) else {
            errors.append(
                FieldError(field: name, message: "must be an integer from \(range.lowerBound) to \(range.upperBound)")
            )
            return nil
        }
        return number
    }

    /// One of the raw values of `T`.
    package mutating func choice<T: RawRepresentable & CaseIterable>(_ name: String, as type: T.Type) -> T?
    where T.RawValue == String {
        guard let value = raw(name) else { return nil }
        guard let choice = T(rawValue: value) else {
            errors.append(
                FieldError(field: name, message: "must be one of " + T.allCases.map(\.rawValue).joined(separator: ", "))
            )
            return nil
        }
        return choice
    }

    /// An instant: an RFC 3339 timestamp, or a date `YYYY-MM-DD` meaning its start (UTC), or with
    /// `dateMeansEnd` the start of the next day, so `to=2026-04-30` includes all of April 30.
    package mutating func instant(_ name: String, dateMeansEnd: Bool = false) -> Date? {
        guard let value = raw(name) else { return nil }
        if let date = Timestamp.parse(value) { return date }
        if let day = CalendarDay(value) {
            return dateMeansEnd ? day.adding(days: 1).start : day.start
        }
        errors.append(FieldError(field: name, message: "must be a date (2026-04-25) or an RFC 3339 timestamp"))
        return nil
    }

    /// Records a problem found by the caller's own checks.
    package mutating func reject(_ name: String, _ message: String) {
        errors.append(FieldError(field: name, message: message))
    }

    /// Records a request that is well formed but cannot be answered as asked (a 400 with `message`, unless a
    /// parameter is also wrong: then the 422 comes first).
    package mutating func badRequest(_ message: String) {
        unanswerable = message
    }

    /// Throws a 422 listing every problem, if there is any, else the 400 of ``badRequest(_:)``.
    package func validate() throws(APIError) {
        if !errors.isEmpty { throw .validation(errors) }
        if let unanswerable { throw .badRequest(unanswerable) }
    }
}

/// Which page of a list to answer: `page`/`per_page` (default 20, at most 100), or a keyset `cursor` from the
/// previous answer, which is faster on deep pages and stable while rows are added.
package struct PageRequest: Sendable, Equatable {
    package var page: Int
    package var perPage: Int
    /// Where to continue: the row after `next_cursor` of the previous page (numbered pages are then ignored).
    package var cursor: PageCursor?

    package static let defaultPerPage = 20
    package static let maxPerPage = 100

    /// The deepest row numbered pages reach (`page × per_page`): an offset makes Postgres read and drop every
    /// row before it, so deeper rows are read with `cursor`, which costs the same at any depth.
    package static let maxOffsetRows = 10_000

    package init(page: Int = 1, perPage: Int = defaultPerPage, cursor: PageCursor? = nil) {
        self.page = page
        self.perPage = perPage
        self.cursor = cursor
    }

    /// Reads `page`, `per_page` and `cursor`, recording problems in `query`.
    package init(_ query: inout QueryParameters) {
        page = query.int("page", in: 1...1_000_000) ?? 1
        perPage = query.int("per_page", in: 1...Self.maxPerPage) ?? Self.defaultPerPage
        cursor = nil
        if let text = query.string("cursor", maxLength: 200) {
            cursor = PageCursor(text)
            if cursor == nil { query.reject("cursor", "is not a cursor this API gave out") }
        } else if page * perPage > Self.maxOffsetRows {
            query.badRequest(
                "numbered pages reach the first \(Self.maxOffsetRows) rows (page × per_page); "
                    + "read further with cursor, the next_cursor of the previous page"
            )
        }
    }

    /// Rows to skip when paging by number.
    package var offset: Int { (page - 1) * perPage }
}
