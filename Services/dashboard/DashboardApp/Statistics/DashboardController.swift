import Contracts
import Foundation
import Hummingbird
import ServiceKit

/// The dashboard's cached figures, kept rendered: per organization, for `DASHBOARD_CACHE_TTL`, dropped
/// everywhere as soon as an applied event changes that organization's numbers.
struct DashboardCache: Sendable {
    let stats: TwoTierCache<RenderedJSON>
    let trends: TwoTierCache<RenderedJSON>
    let ttl: Duration

    func invalidate(organizations: Set<UUID>) async {
        let tags = organizations.map { $0.wireString }
        await stats.invalidate(tags: tags)
        await trends.invalidate(tags: tags)
    }
}

/// `GET /api/dashboard/stats` and `GET /api/dashboard/revenue-trends?months=N` for the caller's organization.
struct DashboardController: Sendable {
    let database: Database
    let store: StatisticsStore
    let cache: DashboardCache
    let clock: any WallClock

    func addRoutes(to router: Router<ServiceRequestContext>) {
        let group = router.group("api/dashboard").add(middleware: RequireRoleMiddleware())
        group.get("stats", use: stats)
        group.get("revenue-trends", use: trends)
    }

    @Sendable func stats(_ request: Request, context: ServiceRequestContext) async throws -> RenderedJSON {
        let identity = try context.requireIdentity()
        let now = clock.now()
        return try await cache.stats.value(for: "stats", tag: identity.organizationIDText, ttl: cache.ttl) {
            try RenderedJSON(encoding: try await stats(identity.organizationID, at: now))
        }
    }

    /// The organization's figures at `now`. The three queries run at once, each on a pooled connection of its
    /// own (each statement sees its own snapshot, as it would one after another outside a transaction).
    func stats(_ organization: UUID, at now: Date) async throws -> DashboardStats {
        async let customers = database.withConnection { try await store.customers(organization, at: now, on: $0) }
        async let quotes = database.withConnection { try await store.quotes(organization, at: now, on: $0) }
        async let revenue = database.withConnection { try await store.revenue(organization, at: now, on: $0) }
        return DashboardStats(
            customers: try await customers,
            quotes: try await quotes,
            revenue: try await revenue,
            computedAt: now
        )
    }

    @Sendable func trends(_ request: Request, context: ServiceRequestContext) async throws -> RenderedJSON {
        let identity = try context.requireIdentity()
        var query = QueryParameters(request)
        let months = query.int("months", in: 1...36) ?? 12
        try query.validate()
        let now = clock.now()
        return try await cache.trends.value(for: "trends:\(months)", tag: identity.organizationIDText, ttl: cache.ttl) {
            try RenderedJSON(
                encoding: try await database.withConnection { connection in
                    try await store.trends(
                        organization: identity.organizationID,
                        months: months,
                        now: now,
                        on: connection
                    )
                }
            )
        }
    }
}
