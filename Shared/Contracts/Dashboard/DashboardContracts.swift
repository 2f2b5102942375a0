import Foundation

/// `GET /api/dashboard/stats`.
public struct DashboardStats: Codable, Sendable, Equatable {
    public var customers: CustomerStats
    public var quotes: QuoteStats
    public var revenue: RevenueStats
    /// When the figures were computed (they may come from a cache for up to five minutes, never across a
    /// change).
    public var computedAt: Date

    enum CodingKeys: String, CodingKey {
        case customers, quotes, revenue
        case computedAt = "computed_at"
    }

    public init(customers: CustomerStats, quotes: QuoteStats, revenue: RevenueStats, computedAt: Date) {
        self.customers = customers
        self.quotes = quotes
        self.revenue = revenue
        self.computedAt = computedAt
    }
}

public struct CustomerStats: Codable, Sendable, Equatable {
    public var total: Int
    public var newThisMonth: Int

    enum CodingKeys: String, CodingKey {
        case total
        case newThisMonth = "new_this_month"
    }

    public init(total: Int, newThisMonth: Int) {
        self.total = total
        self.newThisMonth = newThisMonth
    }
}

public struct QuoteStats: Codable, Sendable, Equatable {
    public var total: Int
    public var thisMonth: Int
    /// Every status, zero included.
    public var byStatus: [String: Int]

    enum CodingKeys: String, CodingKey {
        case total
        case thisMonth = "this_month"
        case byStatus = "by_status"
    }

    public init(total: Int, thisMonth: Int, byStatus: [String: Int]) {
        self.total = total
        self.thisMonth = thisMonth
        self.byStatus = byStatus
    }
}

/// Revenue of accepted quotes in roubles, each converted at the CBR rate effective on its acceptance date
/// (Moscow calendar), amounts rounded to kopecks.
public struct RevenueStats: Codable, Sendable, Equatable {
    public var currency: String
    public var total: Decimal
    public var thisMonth: Decimal
    public var lastMonth: Decimal
    /// Change of this month against last month in percent, one decimal; null when last month had none.
    public var changePct: Decimal?
    /// Accepted amounts that could not be converted yet (no CBR rate known for their date), by currency,
    /// counted here instead of being dropped or converted at 1.
    public var unconverted: [String: Decimal]

    enum CodingKeys: String, CodingKey {
        case currency, total
        case thisMonth = "this_month"
        case lastMonth = "last_month"
        case changePct = "change_pct"
        case unconverted
    }

    public init(
        currency: String,
        total: Decimal,
        thisMonth: Decimal,
        lastMonth: Decimal,
        changePct: Decimal?,
        unconverted: [String: Decimal]
    ) {
        self.currency = currency
        self.total = total
        self.thisMonth = thisMonth
        self.lastMonth = lastMonth
        self.changePct = changePct
        self.unconverted = unconverted
    }
}

/// `GET /api/dashboard/revenue-trends?months=N`: one item per month, oldest first.
public struct RevenueTrends: Codable, Sendable, Equatable {
    public var items: [RevenueMonth]
    public var computedAt: Date

    enum CodingKeys: String, CodingKey {
        case items
        case computedAt = "computed_at"
    }

    public init(items: [RevenueMonth], computedAt: Date) {
        self.items = items
        self.computedAt = computedAt
    }
}

public struct RevenueMonth: Codable, Sendable, Equatable {
    /// `YYYY-MM`.
    public var month: String
    /// Converted revenue in RUB.
    public var revenue: Decimal
    public var acceptedQuotes: Int
    /// Accepted amounts without a known rate, by currency.
    public var unconverted: [String: Decimal]

    enum CodingKeys: String, CodingKey {
        case month, revenue
        case acceptedQuotes = "accepted_quotes"
        case unconverted
    }

    public init(month: String, revenue: Decimal, acceptedQuotes: Int, unconverted: [String: Decimal]) {
        self.month = month
        self.revenue = revenue
        self.acceptedQuotes = acceptedQuotes
        self.unconverted = unconverted
    }
}
