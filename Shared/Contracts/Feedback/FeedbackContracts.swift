import Foundation

/// What a piece of feedback is about, as the user picked it in the feedback form.
public enum FeedbackCategory: String, Codable, Sendable, CaseIterable {
    case bug
    case idea
    case question
    case other
}

/// Where a submission is in the admin review queue: `new` → `in_progress` → `resolved` | `wont_fix`, and
/// from either of those back to `in_progress`.
public enum FeedbackStatus: String, Codable, Sendable, CaseIterable {
    case new
    case inProgress = "in_progress"
    case resolved
    case wontFix = "wont_fix"
}

/// Where the user was when they wrote: each part optional, each length-limited. The user agent is taken from
/// the request's `User-Agent` header, never from the body.
public struct FeedbackContext: Codable, Sendable, Equatable {
    public var pageURL: String?
    public var userAgent: String?
    public var appVersion: String?
    public var locale: String?
    public var viewport: String?

    enum CodingKeys: String, CodingKey {
        case pageURL = "page_url"
        case userAgent = "user_agent"
        case appVersion = "app_version"
        case locale, viewport
    }

    public init(
        pageURL: String? = nil,
        userAgent: String? = nil,
        appVersion: String? = nil,
        locale: String? = nil,
        viewport: String? = nil
    ) {
        self.pageURL = pageURL
        self.userAgent = userAgent
        self.appVersion = appVersion
        self.locale = locale
        self.viewport = viewport
    }
}

/// One submission, as the admin review queue shows it. The submitter's own views (`POST /api/feedback`,
/// `GET /api/feedback/mine`) leave out the internal `admin_note` and `resolved_by`.
public struct FeedbackItem: Codable, Sendable, Equatable {
    public var id: UUID
    public var organizationID: UUID
    public var userID: UUID
    /// The submitter's login email when they submitted.
    public var userEmail: String?
    public var category: FeedbackCategory
    public var message: String
    public var status: FeedbackStatus
    /// The reviewers' note; internal to the review queue.
    public var adminNote: String?
    public var context: FeedbackContext
    public var createdAt: Date
    public var updatedAt: Date
    /// When the submission was last closed (`resolved` or `wont_fix`); cleared when it is reopened.
    public var resolvedAt: Date?
    /// The admin who closed it.
    public var resolvedBy: UUID?

    enum CodingKeys: String, CodingKey {
        case id
        case organizationID = "organization_id"
        case userID = "user_id"
        case userEmail = "user_email"
        case category, message, status
        case adminNote = "admin_note"
        case context
        case createdAt = "created_at"
        case updatedAt = "updated_at"
        case resolvedAt = "resolved_at"
        case resolvedBy = "resolved_by"
    }

    public init(
        id: UUID,
        organizationID: UUID,
        userID: UUID,
        userEmail: String?,
        category: FeedbackCategory,
        message: String,
        status: FeedbackStatus,
        adminNote: String?,
        context: FeedbackContext,
        createdAt: Date,
        updatedAt: Date,
        resolvedAt: Date?,
        resolvedBy: UUID?
    ) {
        self.id = id
        self.organizationID = organizationID
        self.userID = userID
        self.userEmail = userEmail
        self.category = category
        self.message = message
        self.status = status
        self.adminNote = adminNote
        self.context = context
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.resolvedAt = resolvedAt
        self.resolvedBy = resolvedBy
    }
}

/// `GET /api/admin/feedback/counts`: how many of the organization's submissions are in each status, for the
/// badge on the admin menu.
public struct FeedbackStatusCounts: Codable, Sendable, Equatable {
    public var new: Int
    public var inProgress: Int
    public var resolved: Int
    public var wontFix: Int
    public var total: Int

    enum CodingKeys: String, CodingKey {
        case new
        case inProgress = "in_progress"
        case resolved
        case wontFix = "wont_fix"
        case total
    }

    public init(new: Int, inProgress: Int, resolved: Int, wontFix: Int) {
        self.new = new
        self.inProgress = inProgress
        self.resolved = resolved
        self.wontFix = wontFix
        self.total = new + inProgress + resolved + wontFix
    }
}

/// `POST /api/feedback`: the message, its category and where the user was; only `message` and `category` are
/// required. An optional `Idempotency-Key` header makes a retry return the first answer's submission.
public struct FeedbackSubmission: Codable, Sendable, Equatable {
    public var message: String
    public var category: FeedbackCategory
    /// The page the user was on; an absolute `http` or `https` URL.
    public var pageURL: String?
    public var appVersion: String?
    /// The interface language, such as `ru-RU`.
    public var locale: String?
    /// The browser window size, such as `1920x1080`.
    public var viewport: String?

    enum CodingKeys: String, CodingKey {
        case message, category
        case pageURL = "page_url"
        case appVersion = "app_version"
        case locale, viewport
    }

    public init(
        message: String,
        category: FeedbackCategory,
        pageURL: String? = nil,
        appVersion: String? = nil,
        locale: String? = nil,
        viewport: String? = nil
    ) {
        self.message = message
        self.category = category
        self.pageURL = pageURL
        self.appVersion = appVersion
        self.locale = locale
        self.viewport = viewport
    }
}

/// `PATCH /api/admin/feedback/{id}`: a new status, a new admin note, or both. Send `"admin_note": null` as raw
/// JSON to clear the note; a field left out (nil here) stays as it is.
public struct FeedbackReview: Codable, Sendable, Equatable {
    public var status: FeedbackStatus?
    public var adminNote: String?

    enum CodingKeys: String, CodingKey {
        case status
        case adminNote = "admin_note"
    }

    public init(status: FeedbackStatus? = nil, adminNote: String? = nil) {
        self.status = status
        self.adminNote = adminNote
    }
}
