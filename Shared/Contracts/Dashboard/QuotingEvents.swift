import Foundation

/// Payload of `customer.created`, `customer.updated` and `customer.deleted`, published by the quoting core.
/// `Schemas/customer-event.schema.json` describes the same shape for it.
public struct CustomerEventPayload: Codable, Sendable, Equatable {
    public var id: String
    public var name: String?
    /// ИНН, when known.
    public var inn: String?
    public var createdAt: Date?
    /// Increases with every change of the customer; an event with a version already applied changes nothing.
    public var version: Int64

    enum CodingKeys: String, CodingKey {
        case id, name, inn
        case createdAt = "created_at"
        case version
    }

    public init(id: String, name: String?, inn: String?, createdAt: Date?, version: Int64) {
        self.id = id
        self.name = name
        self.inn = inn
        self.createdAt = createdAt
        self.version = version
    }

    /// The event types this payload comes with.
    public static let eventTypes: Set<String> = ["customer.created", "customer.updated", "customer.deleted"]
}

/// Where a quote stands.
public enum QuoteStatus: String, Codable, Sendable, CaseIterable {
    case draft, sent, accepted, rejected, expired
}

/// Payload of `quote.created`, `quote.updated`, `quote.status_changed` and `quote.deleted`, published by the
/// quoting core. `Schemas/quote-event.schema.json` describes the same shape for it.
public struct QuoteEventPayload: Codable, Sendable, Equatable {
    public var id: String
    public var number: String?
    public var customerID: String?
    public var managerID: String?
    public var status: QuoteStatus?
    /// The quote's total as an exact decimal string (`"125000.50"`), in `currency`.
    public var totalAmount: String?
    /// ISO 4217 (`RUB`, `USD`, `EUR`, `CNY`).
    public var currency: String?
    /// `YYYY-MM-DD`.
    public var quoteDate: String?
    /// When the customer accepted it.
    public var acceptedAt: Date?
    /// Increases with every change of the quote; an event with a version already applied changes nothing.
    public var version: Int64

    enum CodingKeys: String, CodingKey {
        case id, number
        case customerID = "customer_id"
        case managerID = "manager_id"
        case status
        case totalAmount = "total_amount"
        case currency
        case quoteDate = "quote_date"
        case acceptedAt = "accepted_at"
        case version
    }

    public init(
        id: String,
        number: String?,
        customerID: String?,
        managerID: String?,
        status: QuoteStatus?,
        totalAmount: String?,
        currency: String?,
        quoteDate: String?,
        acceptedAt: Date?,
        version: Int64
    ) {
        self.id = id
        self.number = number
        self.customerID = customerID
        self.managerID = managerID
        self.status = status
        self.totalAmount = totalAmount
        self.currency = currency
        self.quoteDate = quoteDate
        self.acceptedAt = acceptedAt
        self.version = version
    }

    /// The event types this payload comes with.
    public static let eventTypes: Set<String> = [
        "quote.created", "quote.updated", "quote.status_changed", "quote.deleted",
    ]
}
