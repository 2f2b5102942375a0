import Contracts
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import ServiceKit
import TestSupport
import Testing

/// The rate limiter through real applications sharing one Redis, as replicas of a service would.
@Suite("Rate limiting (real Redis)")
struct RateLimitTests {
    @Test("a policy reads as words in a problem's detail")
    func ruleInWords() {
        #expect(RateLimitPolicy(name: "a", limit: 50, period: .seconds(60)).rule == "50 per minute")
        #expect(RateLimitPolicy(name: "b", limit: 10, period: .seconds(900)).rule == "10 per 15 minutes")
        #expect(RateLimitPolicy(name: "c", limit: 3, period: .seconds(90)).rule == "3 per 90 seconds")
        #expect(RateLimitPolicy(name: "d", limit: 5, period: .seconds(3600)).rule == "5 per hour")
        #expect(RateLimitPolicy(name: "e", limit: 1, period: .seconds(7200)).rule == "1 per 2 hours")
    }

    static func makeApplication(
        _ overrides: [String: String] = [:],
        rules: RateLimitRules = RateLimitRules()
    ) async throws
        -> some ApplicationProtocol
    {
        let configuration = try TestInfrastructure.configuration(service: "kit", overrides)
        let platform = try await ServicePlatform(configuration: configuration, logger: TestInfrastructure.logger("kit"))
        let router = try platform.makeRouter(rateLimits: rules)
        router.get("/ping") { _, _ in "pong" }
        router.post("/login") { _, _ in "welcome" }
        return try platform.makeApplication(router: router, schema: "servicekit_tests", migrations: [])
    }

    static func token(_ user: UUID = UUID()) async throws -> HTTPFields {
        .authorized(
            try await TestTokens.bearer(Identity(userID: user, organizationID: UUID(), role: .manager, email: "u@x.ru"))
        )
    }

    @Test("200 requests over three replicas for one user under 50/minute: exactly 50 allowed")
    func exactAcrossReplicas() async throws {
        let headers = try await Self.token()
        let started = ContinuousClock.now
        let fiftyPerMinute = ["RATE_LIMIT_DEFAULT": "50/1m"]
        let statuses = try await Self.makeApplication(fiftyPerMinute).test(.router) { first in
            try await Self.makeApplication(fiftyPerMinute).test(.router) { second in
                try await Self.makeApplication(fiftyPerMinute).test(.router) { third in
                    let clients: [any TestClientProtocol] = [first, second, third]
                    return try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                        for index in 0..<200 {
                            let client = clients[index % 3]
                            group.addTask {
                                try await client.execute(uri: "/ping", method: .get, headers: headers).status
                            }
                        }
                        var statuses: [HTTPResponse.Status] = []
                        for try await status in group { statuses.append(status) }
                        return statuses
                    }
                }
            }
        }
        let elapsed = ContinuousClock.now - started
        let allowed = statuses.filter { $0 == .ok }.count
        // One more token refills every 1.2 s; the run normally takes far less.
        let refills = Int((elapsed / .milliseconds(1200)).rounded(.down))
        #expect((50...(50 + refills)).contains(allowed), "\(allowed) allowed in \(elapsed)")
        #expect(statuses.filter { $0 == .tooManyRequests }.count == 200 - allowed)
    }

    @Test("2,000 concurrent decisions for 20 callers go to Redis in batches and each caller gets exactly its quota")
    func batchedDecisions() async throws {
        // A command timing out on a loaded machine would send a batch to the in-process fallback, which is
        // right for the service but not what this test measures.
        var settings = try TestInfrastructure.redisSettings
        settings.commandTimeout = .seconds(60)
        try await TestInfrastructure.withRedis(settings: settings) { redis in
            let limiter = RateLimiter(
                redis: redis,
                shadow: false,
                metrics: ServiceMetrics(),
                logger: TestInfrastructure.logger("kit")
            )
            let policy = RateLimitPolicy(
                name: TestInfrastructure.uniqueName("batch"),
                limit: 30,
                period: .seconds(3600)
            )
            let before = try await Self.scriptCalls(redis)
            let decisions = await withTaskGroup(of: (Int, RateLimitDecision).self) { group in
                for index in 0..<2000 {
                    group.addTask { (index % 20, await limiter.acquire(policy, caller: "caller-\(index % 20)")) }
                }
                var decisions: [(Int, RateLimitDecision)] = []
                for await decision in group { decisions.append(decision) }
                return decisions
            }
            let calls = try await Self.scriptCalls(redis) - before
            for caller in 0..<20 {
                let mine = decisions.filter { $0.0 == caller }.map(\.1)
                #expect(mine.filter(\.allowed).count == 30, "caller \(caller)")
                #expect(Set(mine.filter(\.allowed).map(\.remaining)) == Set(0..<30), "each remaining count once")
                #expect(mine.filter { !$0.allowed }.allSatisfy { $0.retryAfter > .zero })
            }
            #expect(calls < 2000, "\(calls) script calls for 2,000 decisions")
        }
    }

    /// How many times Redis has run a script (EVALSHA) since it started.
    static func scriptCalls(_ redis: RedisClient) async throws -> Int {
        let info = try await redis.send(RedisCommand("INFO", ["commandstats"])).string ?? ""
        let line = info.split(whereSeparator: \.isNewline).first { $0.hasPrefix("cmdstat_evalsha:") } ?? ""
        let calls = line.split(separator: ",").first { $0.contains("calls=") }?.split(separator: "=").last
        return calls.flatMap { Int($0) } ?? 0
    }

    @Test("the whole burst is available at once; the next request is refused with its headers and problem")
    func burst() async throws {
        let headers = try await Self.token()
        // One request every 20 s: no refill happens during the test, however slow the machine.
        try await Self.makeApplication(["RATE_LIMIT_DEFAULT": "5/100s"]).test(.router) { (client) async throws in
            for expected in (0..<5).reversed() {
                try await client.execute(uri: "/ping", method: .get, headers: headers) { response in
                    #expect(response.status == .ok)
                    #expect(response.headers[.rateLimitPolicy] == #""default";q=5;w=100"#)
                    #expect(response.headers[.rateLimit]?.hasPrefix(#""default";r=\#(expected);t="#) == true)
                }
            }
            try await client.execute(uri: "/ping", method: .get, headers: headers) { response in
                #expect(response.status == .tooManyRequests)
                let retryAfter = try #require(response.headers[.retryAfter].flatMap { Int($0) })
                #expect((1...20).contains(retryAfter))
                #expect(response.headers[.contentType] == Problem.mediaType)
                let problem = try response.decode(Problem.self)
                #expect(problem.type == ProblemType.rateLimited)
            }
        }
    }

    @Test("an exhausted quota refills one request per interval")
    func refill() async throws {
        let headers = try await Self.token()
        // Two per 10 s: one request every 5 s, bursts of two. The third request is refused unless it comes 5 s
        // after the first, and the next one is allowed 5 s after the first.
        try await Self.makeApplication(["RATE_LIMIT_DEFAULT": "2/10s"]).test(.router) { (client) async throws in
            let first = ContinuousClock.now
            _ = try await client.execute(uri: "/ping", method: .get, headers: headers)
            _ = try await client.execute(uri: "/ping", method: .get, headers: headers)
            let refused = try await client.execute(uri: "/ping", method: .get, headers: headers)
            #expect(refused.status == .tooManyRequests)
            try await eventually("a request is allowed again after one interval") {
                try await client.execute(uri: "/ping", method: .get, headers: headers).status == .ok
            }
            #expect(ContinuousClock.now - first >= .milliseconds(4500), "not before the interval has passed")
        }
    }

    @Test("each user has their own quota; an IP policy is shared by everyone behind that address")
    func keys() async throws {
        let rules = RateLimitRules(routes: [
            // A name of its own: runs within a minute of each other must not share an address's quota.
            "POST /login": RateLimitPolicy(
                name: TestInfrastructure.uniqueName("login"),
                limit: 2,
                period: .seconds(60),
                key: .ip
            )
        ])
        let alice = try await Self.token()
        let bob = try await Self.token()
        try await Self.makeApplication(["RATE_LIMIT_DEFAULT": "2/1m"], rules: rules).test(.live) {
            (client) async throws in
            let forwarded: HTTPFields = [.xForwardedFor: "198.51.100.\(Int.random(in: 1...250))"]
            for headers in [alice, bob] {
                #expect(try await client.execute(uri: "/ping", method: .get, headers: headers).status == .ok)
                #expect(try await client.execute(uri: "/ping", method: .get, headers: headers).status == .ok)
                #expect(
                    try await client.execute(uri: "/ping", method: .get, headers: headers).status == .tooManyRequests
                )
            }
            var aliceAtLogin = alice
            aliceAtLogin[.xForwardedFor] = forwarded[.xForwardedFor]
            var bobAtLogin = bob
            bobAtLogin[.xForwardedFor] = forwarded[.xForwardedFor]
            #expect(try await client.execute(uri: "/login", method: .post, headers: aliceAtLogin).status == .ok)
            #expect(try await client.execute(uri: "/login", method: .post, headers: bobAtLogin).status == .ok)
            #expect(
                try await client.execute(uri: "/login", method: .post, headers: forwarded).status == .tooManyRequests,
                "the third request from the same address is refused whoever sends it"
            )
        }
    }

    @Test("X-Forwarded-For counts only when the peer is a trusted proxy")
    func trustedProxies() async throws {
        let rules = RateLimitRules(routes: [
            "POST /login": RateLimitPolicy(
                name: TestInfrastructure.uniqueName("login"),
                limit: 1,
                period: .seconds(60),
                key: .ip
            )
        ])
        let base = Int.random(in: 1...200)
        try await Self.makeApplication(rules: rules).test(.live) { (client) async throws in
            for offset in 0..<3 {
                let status = try await client.execute(
                    uri: "/login",
                    method: .post,
                    headers: [.xForwardedFor: "203.0.113.\(base + offset)"]
                ).status
                #expect(status == .ok, "loopback is trusted: each forwarded client has its own quota")
            }
        }
        try await Self.makeApplication(["TRUSTED_PROXIES": "10.0.0.0/8"], rules: rules).test(.live) {
            (client) async throws in
            let first = try await client.execute(uri: "/login", method: .post, headers: [.xForwardedFor: "192.0.2.1"])
                .status
            let second = try await client.execute(uri: "/login", method: .post, headers: [.xForwardedFor: "192.0.2.2"])
                .status
            #expect(first == .ok || first == .tooManyRequests)
            #expect(
                second == .tooManyRequests,
                "an untrusted peer's X-Forwarded-For is ignored: both count as 127.0.0.1"
            )
        }
    }

    @Test("client addresses: the right-most untrusted hop, never a forged left-most one")
    func clientAddresses() throws {
        let trusted = [try #require(IPNetwork("127.0.0.1/32")), try #require(IPNetwork("10.0.0.0/8"))]
        let proxy = try SocketAddress(ipAddress: "127.0.0.1", port: 1)
        let stranger = try SocketAddress(ipAddress: "192.0.2.9", port: 1)
        #expect(
            ClientAddress.resolve(peer: proxy, forwardedFor: "1.1.1.1, 203.0.113.5, 10.1.2.3", trusted: trusted)
                == "203.0.113.5"
        )
        #expect(ClientAddress.resolve(peer: stranger, forwardedFor: "203.0.113.5", trusted: trusted) == "192.0.2.9")
        #expect(ClientAddress.resolve(peer: proxy, forwardedFor: nil, trusted: trusted) == "127.0.0.1")
        #expect(ClientAddress.resolve(peer: proxy, forwardedFor: "garbage", trusted: trusted) == "127.0.0.1")
        #expect(IPNetwork("::1/128")?.contains(IPNetwork.parseAddress("::1") ?? []) == true)
        #expect(IPNetwork("10.0.0.0/33") == nil)
    }

    @Test("shadow mode counts but never refuses")
    func shadow() async throws {
        let headers = try await Self.token()
        try await Self.makeApplication(["RATE_LIMIT_DEFAULT": "1/1m", "RATE_LIMIT_SHADOW": "true"]).test(.router) {
            (client) async throws in
            for _ in 0..<3 {
                try await client.execute(uri: "/ping", method: .get, headers: headers) { response in
                    #expect(response.status == .ok)
                }
            }
            try await client.execute(uri: "/metrics", method: .get) { response in
                #expect(response.text.contains(#"decision="shadow_limited""#))
            }
        }
    }

    @Test("with Redis down each replica limits on its own, and goes back to Redis when it returns")
    func fallback() async throws {
        let server = try PrivateRedisServer()
        let headers = try await Self.token()
        let overrides = [
            "REDIS_PORT": "\(server.port)", "RATE_LIMIT_DEFAULT": "3/1m", "REDIS_CONNECT_TIMEOUT": "200ms",
        ]
        try await Self.makeApplication(overrides).test(.router) { (client) async throws in
            var statuses: [HTTPResponse.Status] = []
            for _ in 0..<4 {
                statuses.append(try await client.execute(uri: "/ping", method: .get, headers: headers).status)
            }
            #expect(statuses == [.ok, .ok, .ok, .tooManyRequests], "never unlimited, never a 500")

            try await server.start()
            try await eventually("back on Redis, whose quota is fresh") {
                try await client.execute(uri: "/ping", method: .get, headers: headers).status == .ok
            }
            try await client.execute(uri: "/metrics", method: .get) { response in
                #expect(response.text.contains(#"mode="fallback""#))
                #expect(response.text.contains(#"mode="redis""#))
            }
        }
        await server.stop()
    }

    @Test("a bad policy override stops the service naming the variable")
    func badOverride() async throws {
        await #expect {
            _ = try await Self.makeApplication(["RATE_LIMIT_DEFAULT": "lots"])
        } throws: { error in
            (error as? ConfigurationError)?.variable.hasSuffix("RATE_LIMIT_DEFAULT") == true
        }
    }
}
