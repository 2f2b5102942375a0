import Logging
import PostgresNIO

/// Applies a service's migrations at start-up: in one transaction, under an advisory lock so that replicas
/// starting together wait for each other, recording each applied version in `<schema>.schema_migrations`.
/// A database that has a version this code does not know (it is ahead) stops the service.
package struct MigrationRunner: Sendable {
    package let schema: String
    package let migrations: [Migration]

    /// Validates the schema name and the order of `migrations` (1, 2, 3, … without gaps).
    package init(schema: String, migrations: [Migration]) throws(MigrationError) {
        guard schema.wholeMatch(of: /[a-z_][a-z0-9_]{0,62}/) != nil else { throw .invalidSchemaName(schema) }
        for (index, migration) in migrations.enumerated() where migration.version != index + 1 {
            throw .outOfOrder(expected: index + 1, found: migration.version)
        }
        self.schema = schema
        self.migrations = migrations
    }

    /// Brings the schema up to date; returns the versions applied by this call.
    @discardableResult
    package func run(on database: Database, logger: Logger) async throws -> [Int] {
        let lockKey = Self.lockKey(for: schema)
        return try await database.withTransaction { connection in
            // The migration may build indexes on big tables: it gets its own generous deadlines.
            try await connection.query("SET LOCAL statement_timeout = '15min'", logger: logger)
            try await connection.query("SET LOCAL lock_timeout = '15min'", logger: logger)
            try await connection.query("SELECT pg_advisory_xact_lock(\(lockKey))", logger: logger)
            // Identifiers cannot be bound; `schema` was checked against a strict pattern in `init`.
            try await connection.query(
                PostgresQuery(unsafeSQL: "CREATE SCHEMA IF NOT EXISTS \(schema)"),
                logger: logger
            )
            try await connection.query(
                PostgresQuery(
                    unsafeSQL: """
                        CREATE TABLE IF NOT EXISTS \(schema).schema_migrations (
                            version integer PRIMARY KEY,
                            name text NOT NULL,
                            checksum text NOT NULL,
                            applied_at timestamptz NOT NULL DEFAULT now()
                        )
                        """
                ),
                logger: logger
            )
            var applied: [Int: String] = [:]
            let rows = try await connection.query(
                PostgresQuery(unsafeSQL: "SELECT version, checksum FROM \(schema).schema_migrations ORDER BY version"),
                logger: logger
            )
            for try await (version, checksum) in rows.decode((Int, String).self) {
                applied[version] = checksum
            }
            let known = Dictionary(uniqueKeysWithValues: migrations.map { ($0.version, $0) })
            let unknown = applied.keys.filter { known[$0] == nil }.sorted()
            guard unknown.isEmpty else {
                throw MigrationError.databaseAhead(schema: schema, unknownVersions: unknown)
            }
            for (version, checksum) in applied where known[version]?.checksum != checksum {
                throw MigrationError.modified(schema: schema, version: version)
            }
            var newlyApplied: [Int] = []
            for migration in migrations where applied[migration.version] == nil {
                for statement in migration.statements {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                try await connection.query(
                    """
                    INSERT INTO \(unescaped: schema).schema_migrations (version, name, checksum)
                    VALUES (\(migration.version), \(migration.name), \(migration.checksum))
                    """,
                    logger: logger
                )
                newlyApplied.append(migration.version)
                logger.info(
                    "migration applied",
                    metadata: [
                        "schema": "\(schema)", "migration.version": "\(migration.version)",
                        "migration.name": "\(migration.name)",
                    ]
                )
            }
            return newlyApplied
        }
    }

    /// A stable advisory-lock key per schema (FNV-1a of the schema name, as a signed 64-bit integer).
    static func lockKey(for schema: String) -> Int64 {
        Int64(bitPattern: fnv1a64("schema_migrations:\(schema)"))
    }
}

/// Why migrations could not be applied; the service stops with this message.
package enum MigrationError: Error, Equatable, CustomStringConvertible {
    case invalidSchemaName(String)
    case outOfOrder(expected: Int, found: Int)
    case databaseAhead(schema: String, unknownVersions: [Int])
    case modified(schema: String, version: Int)

    package var description: String {
        switch self {
        case .invalidSchemaName(let name):
            "invalid schema name \(name)"
        case .outOfOrder(let expected, let found):
            "migrations must be numbered 1, 2, 3, …: expected version \(expected), found \(found)"
        case .databaseAhead(let schema, let versions):
            "the database is ahead of this code: \(schema).schema_migrations has versions "
                + versions.map(String.init).joined(separator: ", ")
                + " that this build does not know; deploy a newer build or restore the database"
        case .modified(let schema, let version):
            "migration \(schema) #\(version) was changed after it was applied; add a new migration instead"
        }
    }
}
