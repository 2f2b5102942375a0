/// The shape of every list answer: one page of items, where it is, how many there are in all, and the
/// keyset cursor of the next page when there is one.
public struct ListPage<Item: Codable & Sendable>: Codable, Sendable {
    public var items: [Item]
    public var page: Int
    public var perPage: Int
    /// How many items match in all. Exact unless `total_exact` is false: lists that can hold millions of
    /// rows (the activity log) count exactly up to a limit and estimate beyond it, so a page stays fast.
    public var total: Int
    /// Whether `total` is an exact count.
    public var totalExact: Bool
    public var nextCursor: String?

    enum CodingKeys: String, CodingKey {
        case items, page, total
        case perPage = "per_page"
        case totalExact = "total_exact"
        case nextCursor = "next_cursor"
    }

    public init(items: [Item], page: Int, perPage: Int, total: Int, totalExact: Bool = true, nextCursor: String?) {
        self.items = items
        self.page = page
        self.perPage = perPage
        self.total = total
        self.totalExact = totalExact
        self.nextCursor = nextCursor
    }
}

extension ListPage: Equatable where Item: Equatable {}
