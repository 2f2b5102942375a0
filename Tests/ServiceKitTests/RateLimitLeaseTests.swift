import Foundation
import NIOCore
import TestSupport
import Testing

@testable import ServiceKit

/// Cells granted for many requests at once, and the leases that hand out the extra ones without a round trip.
@Suite("Rate limit grants and leases")
struct RateLimitLeaseTests {

    /// A Redis client whose commands do not time out on a loaded machine (which would send a batch to the
    /// in-process fallback: right for a service, not what these tests look at).
    private static func withPatientRedis(_ body: @Sendable (RedisClient) async throws -> Void) async throws {
        var settings = try TestInfrastructure.redisSettings
        settings.commandTimeout = .seconds(60)
        try await TestInfrastructure.withRedis(settings: settings, body)
    }

    @Test("the requests of a grant take its cells in turn; the cells after a request count as remaining for it")
    func grantDecisions() {
        let grant = RateLimitGrant(
            cells: 3,
            remaining: 10,
            retryAfter: .seconds(4),
            resetAfter: .seconds(30),
            interval: .seconds(2)
        )
        let decisions = (0..<5).map(grant.decision(forRequest:))
        #expect(decisions.map(\.allowed) == [true, true, true, false, false])
        #expect(decisions.map(\.remaining) == [12, 11, 10, 0, 0])
        #expect(decisions.map(\.resetAfter) == [.seconds(26), .seconds(28), .seconds(30), .seconds(30), .seconds(30)])
        #expect(decisions.map(\.retryAfter) == [.zero, .zero, .zero, .seconds(4), .seconds(4)])
    }

    @Test("leased cells are handed out in turn until none is left or the lease ends")
    func leaseHandsOutCells() {
        let leases = RateLimitLeases()
        let now = ContinuousClock.now
        let grant = RateLimitGrant(
            cells: 5,
            remaining: 7,
            retryAfter: .zero,
            resetAfter: .seconds(10),
            interval: .seconds(1)
        )
        leases.add(grant, beyond: 2, key: "k", now: now)
        let taken = (0..<4).map { _ in leases.take("k", now: now) }
        #expect(taken.map { $0?.remaining } == [9, 8, 7, nil])
        #expect(taken.map { $0?.resetAfter } == [.seconds(8), .seconds(9), .seconds(10), nil])
        #expect(taken.compactMap { $0 }.allSatisfy { $0.allowed })

        leases.add(grant, beyond: 4, key: "k", now: now)
        let afterLifetime = leases.take("k", now: now + RateLimitLeases.lifetime)
        #expect(afterLifetime == nil, "a lease ends after its lifetime")
        #expect(leases.take("other", now: now) == nil)
    }

    @Test("a key asking for more cells than its quota has gets what is left, and the rest are refused")
    func partialGrant() async throws {
        try await Self.withPatientRedis { redis in
            let key = "rl:{\(TestInfrastructure.uniqueName("partial"))}"
            let second = 1_000_000
            let reply = try await redis.evaluate(
                RateLimiter.script,
                keys: [key, key],
                arguments: [.int(second), .int(5 * second), .int(3), .int(second), .int(5 * second), .int(4)]
            )
            let values = (reply.array ?? []).compactMap(\.int)
            #expect(values.count == 8)
            #expect(Array(values[0...1]) == [3, 2], "three of five cells granted, two left")
            #expect(values[2] == 0, "one more cell is available at once")
            #expect(Array(values[4...5]) == [2, 0], "the second ask gets the two left of its four")
            #expect((1...second).contains(values[6]), "the next cell comes within an interval")
            #expect((4 * second...5 * second).contains(values[7]), "the quota is whole again after all five cells")
        }
    }

    @Test("a request given back is available again, and giving back never fills a quota beyond whole")
    func release() async throws {
        try await Self.withPatientRedis { redis in
            let limiter = RateLimiter(
                redis: redis,
                shadow: false,
                metrics: ServiceMetrics(),
                logger: TestInfrastructure.logger("tests.ratelimit")
            )
            let policy = RateLimitPolicy(name: TestInfrastructure.uniqueName("release"), limit: 2, period: .seconds(60))
            #expect(await limiter.acquire(policy, caller: "a").allowed)
            #expect(await limiter.acquire(policy, caller: "a").allowed)
            #expect(await !limiter.acquire(policy, caller: "a").allowed)
            await limiter.release(policy, caller: "a")
            #expect(await limiter.acquire(policy, caller: "a").allowed, "the request given back")
            #expect(await !limiter.acquire(policy, caller: "a").allowed)

            for _ in 0..<5 { await limiter.release(policy, caller: "b") }
            #expect(await limiter.acquire(policy, caller: "b").allowed)
            #expect(await limiter.acquire(policy, caller: "b").allowed)
            #expect(await !limiter.acquire(policy, caller: "b").allowed, "five given back on a whole quota add none")
        }
    }

    @Test("the in-process fallback gives requests back the same way")
    func localRelease() async {
        let local = LocalRateLimiter()
        let interval = Duration.seconds(30)
        let tolerance = interval * 2
        #expect(await local.acquire(key: "k", interval: interval, tolerance: tolerance).allowed)
        #expect(await local.acquire(key: "k", interval: interval, tolerance: tolerance).allowed)
        #expect(await !local.acquire(key: "k", interval: interval, tolerance: tolerance).allowed)
        await local.release(key: "k", interval: interval)
        #expect(await local.acquire(key: "k", interval: interval, tolerance: tolerance).allowed)
        for _ in 0..<5 { await local.release(key: "k", interval: interval) }
        #expect(await local.acquire(key: "k", interval: interval, tolerance: tolerance).allowed)
        #expect(await local.acquire(key: "k", interval: interval, tolerance: tolerance).allowed)
        #expect(await !local.acquire(key: "k", interval: interval, tolerance: tolerance).allowed)
    }

    @Test("a busy caller under a large policy gets cells leased, and never more than the quota")
    func leasesUnderLoad() async throws {
        try await Self.withPatientRedis { redis in
            let metrics = ServiceMetrics()
            let limiter = RateLimiter(
                redis: redis,
                shadow: false,
                metrics: metrics,
                logger: TestInfrastructure.logger("kit")
            )
            let policy = RateLimitPolicy(
                name: TestInfrastructure.uniqueName("lease"),
                limit: 1000,
                period: .seconds(3600)
            )
            let decisions = await withTaskGroup(of: RateLimitDecision.self) { group in
                for _ in 0..<1500 {
                    group.addTask { await limiter.acquire(policy, caller: "busy") }
                }
                var decisions: [RateLimitDecision] = []
                for await decision in group { decisions.append(decision) }
                return decisions
            }
            let allowed = decisions.filter(\.allowed)
            #expect(allowed.count <= 1000, "never more than the quota")
            #expect(allowed.count >= 1000 - policy.leasableCells, "at most one lease's cells lost")
            #expect(allowed.allSatisfy { (0..<1000).contains($0.remaining) })
            #expect(decisions.filter { !$0.allowed }.allSatisfy { $0.retryAfter > .zero })
            // The last batch leased cells nobody took: the next request of the caller takes one at once.
            let more = await withTaskGroup(of: RateLimitDecision.self) { group in
                for _ in 0..<50 { group.addTask { await limiter.acquire(policy, caller: "more") } }
                var decisions: [RateLimitDecision] = []
                for await decision in group { decisions.append(decision) }
                return decisions
            }
            #expect(more.allSatisfy { $0.allowed })
            #expect(await limiter.acquire(policy, caller: "more").allowed)
            // Leases form when requests of a caller meet in a batch, which a loaded machine can delay past a
            // lease's life: a few more bursts, each of a fresh caller, until one request has used a leased cell.
            var leased = false
            for burst in 0..<5 where !leased {
                await withTaskGroup(of: Void.self) { group in
                    for _ in 0..<200 { group.addTask { _ = await limiter.acquire(policy, caller: "burst-\(burst)") } }
                }
                leased = String(decoding: await metrics.exposition(), as: UTF8.self)
                    .contains(#"decision="allowed",mode="lease""#)
            }
            #expect(leased, "some requests were allowed on leased cells")
        }
    }

    @Test("a policy under 100 requests is never leased")
    func smallPoliciesStayExact() {
        #expect(RateLimitPolicy(name: "small", limit: 99, period: .seconds(60)).leasableCells == 0)
        #expect(RateLimitPolicy(name: "large", limit: 6000, period: .seconds(60)).leasableCells == 60)
    }
}
