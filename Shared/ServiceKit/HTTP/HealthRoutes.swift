import Contracts
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import NIOFoundationEssentialsCompat

/// One dependency readiness depends on: a name (`postgres`) and a probe that throws when it is not usable.
package struct ReadinessCheck: Sendable {
    package var name: String
    package var probe: @Sendable () async throws -> Void

    package init(_ name: String, probe: @escaping @Sendable () async throws -> Void) {
        self.name = name
        self.probe = probe
    }
}

/// Answers readiness from checks run at most once a second, each bounded by a short timeout, so a proxy or
/// orchestrator polling hundreds of times costs the dependencies almost nothing.
package actor ReadinessProbe {
    private let checks: [ReadinessCheck]
    private let service: String
    private let timeout: Duration
    private let cacheFor: Duration
    private var cached: (result: Readiness, at: ContinuousClock.Instant)?

    package init(
        service: String,
        checks: [ReadinessCheck],
        timeout: Duration = .seconds(2),
        cacheFor: Duration = .seconds(1)
    ) {
        self.service = service
        self.checks = checks
        self.timeout = timeout
        self.cacheFor = cacheFor
    }

    /// The readiness of the service now (or as of less than a second ago).
    package func readiness() async -> Readiness {
        if let cached, ContinuousClock.now - cached.at < cacheFor { return cached.result }
        let results = await Self.run(checks, timeout: timeout)
        let ok = results.values.allSatisfy { $0 == "ok" }
        let result = Readiness(status: ok ? "ok" : "unavailable", service: service, checks: results)
        cached = (result, .now)
        return result
    }

    private static func run(_ checks: [ReadinessCheck], timeout: Duration) async -> [String: String] {
        await withTaskGroup(of: (String, String).self) { group in
            for check in checks {
                group.addTask {
                    do {
                        try await withDeadline(timeout, waitingFor: "the \(check.name) check") {
                            try await check.probe()
                        }
                        return (check.name, "ok")
                    } catch {
                        return (check.name, String(describing: error))
                    }
                }
            }
            var results: [String: String] = [:]
            for await (name, result) in group { results[name] = result }
            return results
        }
    }
}

/// `GET /health/live`, `GET /health/ready`, `GET /metrics` and `GET /openapi.json`: registered before any
/// middleware, so they are never authenticated, limited or timed, and cost no I/O beyond the cached readiness
/// checks.
package enum HealthRoutes {
    /// Whether `path` is one of the operational endpoints.
    package static func isOperational(_ path: String) -> Bool {
        path.hasPrefix("/health/") || path == "/metrics" || path == "/openapi.json"
    }

    package static func register<Context: ServiceContext>(
        on router: Router<Context>,
        readiness: ReadinessProbe,
        metrics: ServiceMetrics,
        document: APIDocument?
    ) {
        router.get("/health/live") { _, _ in
            Response(
                status: .ok,
                headers: [.contentType: "application/json", .cacheControl: "no-store"],
                body: .init(byteBuffer: ByteBuffer(string: #"{"status":"ok"}"#))
            )
        }
        router.get("/health/ready") { _, _ in
            let result = await readiness.readiness()
            let body = (try? ContractJSON.makeEncoder().encode(result)) ?? Data()
            return Response(
                status: result.status == "ok" ? .ok : .serviceUnavailable,
                headers: [.contentType: "application/json", .cacheControl: "no-store"],
                body: .init(byteBuffer: ByteBuffer(data: body))
            )
        }
        router.get("/metrics") { _, _ in
            Response(
                status: .ok,
                headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: await metrics.exposition()))
            )
        }
        if let document {
            let body = ByteBuffer(data: document.rendered)
            router.get("/openapi.json") { _, _ in
                Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: body))
            }
        }
    }
}
