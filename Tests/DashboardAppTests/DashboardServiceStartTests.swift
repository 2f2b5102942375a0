import Contracts
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import PostgresNIO
import ServiceKit
import TestSupport
import Testing

@testable import DashboardApp

@Suite("dashboard service start-up")
struct DashboardServiceStartTests {
    @Test("starts with its migrations applied, reports ready and serves metrics")
    func startsReady() async throws {
        try await IsolatedEnvironment.with { environment in
            try await Self.startsReady(in: environment)
        }
    }

    static func startsReady(in environment: IsolatedEnvironment) async throws {
        let configuration = try TestInfrastructure.configuration(service: DashboardService.name, environment.overrides)
        let app = try await buildApplication(
            configuration: configuration,
            logger: TestInfrastructure.logger("dashboard")
        )
        try await app.test(.router) { client in
            try await client.execute(uri: "/health/ready", method: .get) { response in
                #expect(response.status == .ok)
                let readiness = try response.decode(Readiness.self)
                #expect(readiness.service == "dashboard")
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
                    "SELECT version FROM dashboard.schema_migrations ORDER BY version",
                    logger: TestInfrastructure.logger("dashboard")
                )
                var versions: [Int] = []
                for try await version in rows.decode(Int.self) { versions.append(version) }
                return versions
            }
        }
        #expect(versions == DashboardMigrations.all.map(\.version))
    }
}
