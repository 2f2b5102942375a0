import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import NIOPosix
import ServiceKit
import Testing

/// The container healthcheck (`<service> healthcheck`): ready only on a 200 from `/health/ready`, and a
/// prompt "not ready" for every other answer, a closed port and a server that never answers.
@Suite("Health probe")
struct HealthProbeTests {
    /// A live server whose `/health/ready` answers `status`.
    private func withServer(
        answering status: HTTPResponse.Status,
        _ body: @escaping @Sendable (Int) async throws -> Void
    ) async throws {
        let router = Router()
        router.get("/health/ready") { _, _ in Response(status: status) }
        var logger = Logger(label: "health-probe-tests")
        logger.logLevel = .error
        let app = Application(
            router: router,
            configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            logger: logger
        )
        try await app.test(.live) { client in
            try await body(try #require(client.port))
        }
    }

    @Test("a 200 from /health/ready is ready")
    func ready() async throws {
        try await withServer(answering: .ok) { port in
            let outcome = await HealthProbe.probe(host: "127.0.0.1", port: port, timeout: .seconds(5))
            #expect(outcome.ready)
            #expect(outcome.message == "/health/ready on 127.0.0.1:\(port) answered 200")
        }
    }

    @Test("a 503 (a dependency down) is not ready")
    func unavailable() async throws {
        try await withServer(answering: .serviceUnavailable) { port in
            let outcome = await HealthProbe.probe(host: "127.0.0.1", port: port, timeout: .seconds(5))
            #expect(!outcome.ready)
            #expect(outcome.message.hasSuffix("answered 503"))
        }
    }

    @Test("the port and host come from the service's settings; a server on every address is probed on loopback")
    func settings() async throws {
        try await withServer(answering: .ok) { port in
            let settings = Settings(environment: ["RATES_HTTP_PORT": "\(port)", "HTTP_HOST": "0.0.0.0"])
                .scoped(to: "rates")
            let outcome = await HealthProbe.probe(settings: settings, defaultPort: 1, timeout: .seconds(5))
            #expect(outcome.ready)
        }
    }

    @Test("a bad port setting is not ready, naming the variable")
    func badSetting() async {
        let outcome = await HealthProbe.probe(settings: Settings(environment: ["HTTP_PORT": "http"]), defaultPort: 8082)
        #expect(!outcome.ready)
        #expect(outcome.message.contains("HTTP_PORT"))
    }

    @Test("nothing listening is not ready, at once")
    func closedPort() async throws {
        // A port that was just free: bind one, note it, close it.
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: "127.0.0.1", port: 0).get()
        let port = try #require(channel.localAddress?.port)
        try await channel.close()
        let started = ContinuousClock.now
        let outcome = await HealthProbe.probe(host: "127.0.0.1", port: port, timeout: .seconds(30))
        #expect(!outcome.ready)
        #expect(ContinuousClock.now - started < .seconds(10))
    }

    @Test("a server that accepts and never answers is not ready once the timeout passes")
    func silentServer() async throws {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: "127.0.0.1", port: 0).get()
        defer { channel.close(promise: nil) }
        let port = try #require(channel.localAddress?.port)
        let started = ContinuousClock.now
        let outcome = await HealthProbe.probe(host: "127.0.0.1", port: port, timeout: .milliseconds(500))
        #expect(!outcome.ready)
        #expect(outcome.message.contains("within 0.5 seconds"))
        #expect(ContinuousClock.now - started < .seconds(10))
    }
}
