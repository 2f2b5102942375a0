import Foundation

/// Payload of the durable `rates.published` event: one newly stored CBR set, complete, so a consumer (the
/// dashboard) can keep its own copy without reading the rates service's tables.
public struct RatesPublished: Codable, Sendable, Equatable {
    /// The event type.
    public static let eventType = "rates.published"
    /// The event's resource type; the resource id is `date`.
    public static let resourceType = "exchange_rates"

    /// Effective date of the set (`YYYY-MM-DD`).
    public var date: String
    /// Always `RUB`.
    public var base: String
    /// Price of one unit of each currency in RUB, as exact decimal strings (`"81.0517"`).
    public var rates: [String: String]

    public init(date: String, base: String, rates: [String: String]) {
        self.date = date
        self.base = base
        self.rates = rates
    }
}
