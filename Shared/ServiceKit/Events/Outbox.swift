import Contracts
import Foundation
import Logging
import PostgresNIO

/// A service's outbox: events are inserted in the same transaction as the change they describe, so a change
/// is never committed without its event, and ``OutboxRelay`` publishes them to the stream afterwards.
package struct Outbox: Sendable {
    /// The schema that holds `outbox`; the owning service's schema.
    package let schema: String

    package init(schema: String) {
        self.schema = schema
    }

    /// The migration that creates `<schema>.outbox` and its insert notification; a service lists it among its
    /// own migrations under `version`.
    package static func migration(_ version: Int, schema: String) -> Migration {
        Migration(
            version,
            "create_outbox",
            [
                """
                CREATE TABLE \(schema).outbox (
                    position bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    event_id uuid NOT NULL UNIQUE,
                    envelope text NOT NULL,
                    created_at timestamptz NOT NULL DEFAULT now()
                )
                """,
                """
                CREATE FUNCTION \(schema).outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    PERFORM pg_notify('\(schema)_outbox', '');
                    RETURN NULL;
                END
                $$
                """,
                """
                CREATE TRIGGER outbox_notify AFTER INSERT ON \(schema).outbox
                FOR EACH STATEMENT EXECUTE FUNCTION \(schema).outbox_notify()
                """,
            ]
        )
    }

    /// The migration that gives `<schema>.outbox` the event type beside the envelope, so the relay publishes
    /// the type without parsing the envelope; a service lists it after ``migration(_:schema:)``. Rows added
    /// before it have an empty type, which consumers treat as unknown.
    package static func eventTypeMigration(_ version: Int, schema: String) -> Migration {
        Migration(
            version,
            "outbox_event_type",
            ["ALTER TABLE \(schema).outbox ADD COLUMN event_type text NOT NULL DEFAULT ''"]
        )
    }

    /// The `LISTEN` channel notified after rows are inserted.
    package var channel: String { "\(schema)_outbox" }

    /// Adds `envelope` inside the caller's transaction on `connection`. An id already in the outbox is ignored.
    package func add(_ envelope: EventEnvelope, on connection: PostgresConnection, logger: Logger) async throws {
        try await add([envelope], on: connection, logger: logger)
    }

    /// Adds `envelopes` with one statement inside the caller's transaction; returns how many were new.
    @discardableResult
    package func add(
        _ envelopes: [EventEnvelope],
        on connection: PostgresConnection,
        logger: Logger
    ) async throws -> Int {
        let encoder = ContractJSON.makeEncoder()
        let encoded = try envelopes.map {
            (id: $0.id, type: $0.type, json: String(decoding: try encoder.encode($0), as: UTF8.self))
        }
        return try await add(encoded: encoded, on: connection, logger: logger)
    }

    /// Adds envelopes already encoded as JSON (ingestion keeps the bytes it received), each with its id and type.
    @discardableResult
    package func add(
        encoded envelopes: [(id: UUID, type: String, json: String)],
        on connection: PostgresConnection,
        logger: Logger
    ) async throws -> Int {
        guard !envelopes.isEmpty else { return 0 }
        let ids = envelopes.map(\.id)
        let types = envelopes.map(\.type)
        let bodies = envelopes.map(\.json)
        let rows = try await connection.query(
            """
            INSERT INTO \(unescaped: schema).outbox (event_id, event_type, envelope)
            SELECT * FROM UNNEST(\(ids)::uuid[], \(types)::text[], \(bodies)::text[])
            ON CONFLICT (event_id) DO NOTHING
            RETURNING 1
            """,
            logger: logger
        )
        var inserted = 0
        for try await _ in rows { inserted += 1 }
        return inserted
    }
}
