import Foundation
import Hummingbird
import Logging

/// What every executable's `@main` does: read the configuration (a bad value stops the process with one
/// line naming the variable, missing production secrets with one line naming them all), set up logging,
/// build the application and run it until SIGTERM or SIGINT. `<service> healthcheck` probes the running
/// service instead (see `HealthProbe`).
package enum ServiceMain {
    /// Runs the service, or its health probe when the first argument is `healthcheck`; `secrets` are the
    /// variables it needs in production beyond the shared ones.
    package static func run<App: ApplicationProtocol>(
        service: String,
        defaultPort: Int,
        defaultMaxBodySize: Int = 1 << 20,
        secrets: [String] = [],
        build: @Sendable (ServiceConfiguration, Logger) async throws -> App
    ) async {
        if CommandLine.arguments.dropFirst().first == "healthcheck" {
            await healthcheck(service: service, defaultPort: defaultPort)
        }
        let configuration: ServiceConfiguration
        do {
            configuration = try ServiceConfiguration(
                service: service,
                defaultPort: defaultPort,
                defaultMaxBodySize: defaultMaxBodySize,
                settings: Settings().scoped(to: service),
                secrets: secrets
            )
        } catch {
            fail(service, error)
        }
        ServiceLogging.bootstrap(configuration)
        let logger = ServiceLogging.logger(configuration)
        do {
            let app = try await build(configuration, logger)
            logger.info(
                "starting",
                metadata: ["http.host": "\(configuration.http.host)", "http.port": "\(configuration.http.port)"]
            )
            try await app.runService()
            logger.info("stopped")
        } catch {
            logger.critical("stopping on error", metadata: ["error": "\(error)"])
            fail(service, error)
        }
    }

    /// `<service> healthcheck`: exits 0 when the service running with the same settings answers ready, 1
    /// otherwise, printing what it saw (a container engine keeps it in the health log).
    package static func healthcheck(service: String, defaultPort: Int) async -> Never {
        let outcome = await HealthProbe.probe(settings: Settings().scoped(to: service), defaultPort: defaultPort)
        print("\(service): \(outcome.message)")
        exit(outcome.ready ? 0 : 1)
    }

    private static func fail(_ service: String, _ error: any Error) -> Never {
        FileHandle.standardError.write(Data("\(service): \(error)\n".utf8))
        exit(1)
    }
}
