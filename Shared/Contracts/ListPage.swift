/// The shape of every list answer: one page of items, where it is, how many there are in all, and the
/// keyset cursor of the next page when there is one.
public struct ListPage<Item: Codable & Sendable>: Codable, Sendable {
    public var items: [Item]
    public var page: Int
    public var perPage: Int
    public var total: Int
    public var nextCursor: String?

    enum CodingKeys: String, CodingKey {
        case items, page, total
        case perPage = "per_page"
        case nextCursor = "next_cursor"
    }

    public init(items: [Item], page: Int, perPage: Int, total: Int, nextCursor: String?) {
        self.items = items
        self.page = page
        self.perPage = perPage
        self.total = total
        self.nextCursor = nextCursor
    }
}

extension ListPage: Equatable where Item: Equatable {}
