import Foundation
import HummingbirdTesting
import PostgresNIO
import ServiceKit
import ServiceLifecycle
import Synchronization
import TestSupport
import Testing

@Suite("Migration runner (real Postgres)")
struct MigrationRunnerTests {
    static func migrations(_ count: Int) -> [Migration] {
        let all = [
            Migration(1, "create_items", ["CREATE TABLE %s.items (id bigint PRIMARY KEY, name text NOT NULL)"]),
            Migration(
                2,
                "add_price",
                ["ALTER TABLE %s.items ADD COLUMN price numeric(12, 2)", "CREATE INDEX ON %s.items (name)"]
            ),
            Migration(3, "add_notes", ["ALTER TABLE %s.items ADD COLUMN notes text"]),
        ]
        return Array(all.prefix(count))
    }

    /// Fills the schema name into each statement's `%s`.
    static func migrations(_ count: Int, schema: String) -> [Migration] {
        migrations(count).map { migration in
            Migration(
                migration.version,
                migration.name,
                migration.statements.map { $0.replacingOccurrences(of: "%s", with: schema) }
            )
        }
    }

    static func appliedVersions(_ schema: String, database: Database) async throws -> [Int] {
        try await database.withConnection { connection in
            let rows = try await connection.query(
                PostgresQuery(unsafeSQL: "SELECT version FROM \(schema).schema_migrations ORDER BY version"),
                logger: TestInfrastructure.logger("test")
            )
            var versions: [Int] = []
            for try await version in rows.decode(Int.self) { versions.append(version) }
            return versions
        }
    }

    static func drop(_ schema: String, database: Database) async throws {
        try await database.withConnection { connection in
            try await connection.query(
                PostgresQuery(unsafeSQL: "DROP SCHEMA IF EXISTS \(schema) CASCADE"),
                logger: TestInfrastructure.logger("test")
            )
            return ()
        }
    }

    @Test("a service's background work starts only once its migrations are applied")
    func backgroundAfterMigrations() async throws {
        try await IsolatedEnvironment.with { environment in
            let schema = TestInfrastructure.uniqueName("mig")
            let configuration = try TestInfrastructure.configuration(service: "kit", environment.overrides)
            let platform = try await ServicePlatform(
                configuration: configuration,
                logger: TestInfrastructure.logger("kit")
            )
            let seen = TableSeen()
            let worker = TableWatcher(database: platform.database, table: "\(schema).items", seen: seen)
            let app = try platform.makeApplication(
                router: try platform.makeRouter(),
                schema: schema,
                migrations: Self.migrations(1, schema: schema),
                services: [worker]
            )
            try await app.test(.live) { _ in
                let deadline = ContinuousClock.now + .seconds(60)
                while seen.value == nil && ContinuousClock.now < deadline {
                    try await Task.sleep(for: .milliseconds(20))
                }
            }
            #expect(seen.value == true, "the worker found the table the migration creates at its first look")
        }
    }

    @Test("a fresh database gets the schema and every migration, recorded in order")
    func fresh() async throws {
        try await TestInfrastructure.withDatabase { database in
            let schema = TestInfrastructure.uniqueName("mig")
            let runner = try MigrationRunner(schema: schema, migrations: Self.migrations(3, schema: schema))
            let applied = try await runner.run(on: database, logger: TestInfrastructure.logger("test"))
            #expect(applied == [1, 2, 3])
            #expect(try await Self.appliedVersions(schema, database: database) == [1, 2, 3])
            try await Self.drop(schema, database: database)
        }
    }

    @Test("a repeated start applies nothing; a newer build applies only what is new")
    func repeated() async throws {
        try await TestInfrastructure.withDatabase { database in
            let schema = TestInfrastructure.uniqueName("mig")
            let logger = TestInfrastructure.logger("test")
            #expect(
                try await MigrationRunner(schema: schema, migrations: Self.migrations(2, schema: schema)).run(
                    on: database,
                    logger: logger
                ) == [1, 2]
            )
            #expect(
                try await MigrationRunner(schema: schema, migrations: Self.migrations(2, schema: schema)).run(
                    on: database,
                    logger: logger
                ) == []
            )
            #expect(
                try await MigrationRunner(schema: schema, migrations: Self.migrations(3, schema: schema)).run(
                    on: database,
                    logger: logger
                ) == [3]
            )
            try await Self.drop(schema, database: database)
        }
    }

    @Test("two replicas starting together apply each migration exactly once")
    func concurrentStarts() async throws {
        try await TestInfrastructure.withDatabase { database in
            let schema = TestInfrastructure.uniqueName("mig")
            let runner = try MigrationRunner(schema: schema, migrations: Self.migrations(3, schema: schema))
            let results = try await withThrowingTaskGroup(of: [Int].self) { group in
                for _ in 0..<4 {
                    group.addTask { try await runner.run(on: database, logger: TestInfrastructure.logger("test")) }
                }
                var results: [[Int]] = []
                for try await result in group { results.append(result) }
                return results
            }
            #expect(results.flatMap { $0 }.sorted() == [1, 2, 3])
            #expect(results.filter { !$0.isEmpty }.count == 1)
            #expect(try await Self.appliedVersions(schema, database: database) == [1, 2, 3])
            try await Self.drop(schema, database: database)
        }
    }

    @Test("a database ahead of the code stops the service")
    func databaseAhead() async throws {
        try await TestInfrastructure.withDatabase { database in
            let schema = TestInfrastructure.uniqueName("mig")
            let logger = TestInfrastructure.logger("test")
            try await MigrationRunner(schema: schema, migrations: Self.migrations(3, schema: schema)).run(
                on: database,
                logger: logger
            )
            await #expect(throws: MigrationError.databaseAhead(schema: schema, unknownVersions: [3])) {
                try await MigrationRunner(schema: schema, migrations: Self.migrations(2, schema: schema)).run(
                    on: database,
                    logger: logger
                )
            }
            try await Self.drop(schema, database: database)
        }
    }

    @Test("a migration edited after it was applied is refused")
    func modified() async throws {
        try await TestInfrastructure.withDatabase { database in
            let schema = TestInfrastructure.uniqueName("mig")
            let logger = TestInfrastructure.logger("test")
            try await MigrationRunner(schema: schema, migrations: Self.migrations(1, schema: schema)).run(
                on: database,
                logger: logger
            )
            let edited = [Migration(1, "create_items", ["CREATE TABLE \(schema).items (id bigint PRIMARY KEY)"])]
            await #expect(throws: MigrationError.modified(schema: schema, version: 1)) {
                try await MigrationRunner(schema: schema, migrations: edited).run(on: database, logger: logger)
            }
            try await Self.drop(schema, database: database)
        }
    }

    @Test("a failing migration leaves nothing behind")
    func failingMigrationRollsBack() async throws {
        try await TestInfrastructure.withDatabase { database in
            let schema = TestInfrastructure.uniqueName("mig")
            let logger = TestInfrastructure.logger("test")
            let broken =
                Self.migrations(1, schema: schema) + [
                    Migration(2, "broken", ["ALTER TABLE \(schema).nope ADD COLUMN x int"])
                ]
            await #expect(throws: PSQLError.self) {
                try await MigrationRunner(schema: schema, migrations: broken).run(on: database, logger: logger)
            }
            let exists = try await database.withConnection { connection in
                let rows = try await connection.query(
                    "SELECT count(*)::int FROM information_schema.schemata WHERE schema_name = \(schema)",
                    logger: logger
                )
                var count = 0
                for try await value in rows.decode(Int.self) { count = value }
                return count
            }
            #expect(exists == 0)
        }
    }

    @Test("migrations must be numbered from 1 without gaps, and schema names are checked")
    func validation() {
        #expect(throws: MigrationError.outOfOrder(expected: 2, found: 3)) {
            try MigrationRunner(schema: "ok", migrations: [Migration(1, "a", []), Migration(3, "c", [])])
        }
        #expect(throws: MigrationError.invalidSchemaName("Robert'); DROP")) {
            try MigrationRunner(schema: "Robert'); DROP", migrations: [])
        }
    }
}

/// What ``TableWatcher`` found at its first look: nil until it looked.
final class TableSeen: Sendable {
    private let state = Mutex<Bool?>(nil)
    var value: Bool? { state.withLock { $0 } }
    func record(_ exists: Bool) { state.withLock { $0 = $0 ?? exists } }
}

/// A background service that looks once, as soon as it runs, whether a table exists, then waits for shutdown.
struct TableWatcher: Service {
    let database: Database
    let table: String
    let seen: TableSeen

    func run() async throws {
        let exists = try await database.withConnection { connection in
            let rows = try await connection.query(
                "SELECT to_regclass(\(table)) IS NOT NULL",
                logger: TestInfrastructure.logger("test")
            )
            var exists = false
            for try await value in rows.decode(Bool.self) { exists = value }
            return exists
        }
        seen.record(exists)
        try? await gracefulShutdown()
    }
}
