import Contracts
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import PostgresNIO
import ServiceKit
import Testing

/// What every service must do once started: be ready, serve metrics, answer unknown routes with a problem,
/// and have applied exactly its migrations.
package enum ServiceStartCheck {
    /// Builds the service with `build` on a database of its own and runs the checks.
    package static func verify<App: ApplicationProtocol>(
        service: String,
        schema: String,
        migrations: [Migration],
        build: @Sendable (ServiceConfiguration, Logger) async throws -> App
    ) async throws {
        try await IsolatedEnvironment.with { environment in
            let configuration = try TestInfrastructure.configuration(service: service, environment.overrides)
            let app = try await build(configuration, TestInfrastructure.logger(service))
            try await verify(app, service: service, schema: schema, migrations: migrations, environment: environment)
        }
    }

    /// Runs the checks against `app` (built on `environment`'s database) for `service` owning `schema`.
    package static func verify(
        _ app: some ApplicationProtocol,
        service: String,
        schema: String,
        migrations: [Migration],
        environment: IsolatedEnvironment,
        beforeChecks: @Sendable (any TestClientProtocol) async throws -> Void = { _ in }
    ) async throws {
        try await app.test(.router) { client in
            try await beforeChecks(client)
            // Ready is a state the service reaches (its checks can time out on a loaded machine): wait for it.
            try await eventually("\(service) reports ready") {
                try await client.execute(uri: "/health/ready", method: .get) { $0.status == .ok }
            }
            try await client.execute(uri: "/health/ready", method: .get) { response in
                let readiness = try response.decode(Readiness.self)
                #expect(readiness.service == service)
            }
            try await client.execute(uri: "/metrics", method: .get) { response in
                #expect(response.status == .ok)
            }
            try await client.execute(uri: "/api/no-such-route", method: .get) { response in
                #expect(response.status == .notFound)
                #expect(response.headers[.contentType] == Problem.mediaType)
            }
        }
        let versions = try await environment.withDatabase { database in
            try await database.withConnection { connection in
                let rows = try await connection.query(
                    PostgresQuery(unsafeSQL: "SELECT version FROM \(schema).schema_migrations ORDER BY version"),
                    logger: TestInfrastructure.logger(service)
                )
                var versions: [Int] = []
                for try await version in rows.decode(Int.self) { versions.append(version) }
                return versions
            }
        }
        #expect(versions == migrations.map(\.version))
    }
}
