import ServiceKit

/// The activity service's schema history, applied in order at start-up.
package enum ActivityMigrations {
    /// The Postgres schema the activity service owns; no other service reads or writes it.
    package static let schema = "activity"

    package static let all: [Migration] = [
        Migration(
            1,
            "describe_schema",
            ["COMMENT ON SCHEMA activity IS 'Owned by the activity service: the activity (audit) log.'"]
        ),
        Outbox.migration(2, schema: schema),
        Migration(
            3,
            "create_entries",
            [
                """
                CREATE TABLE activity.entries (
                    id uuid PRIMARY KEY,
                    occurred_at timestamptz NOT NULL,
                    recorded_at timestamptz NOT NULL DEFAULT now(),
                    organization_id uuid,
                    actor_id uuid,
                    actor_email text,
                    ip text,
                    user_agent text,
                    action text NOT NULL,
                    resource_type text NOT NULL,
                    resource_id text,
                    event_type text NOT NULL,
                    source_service text NOT NULL,
                    source_instance text,
                    request_id text,
                    payload jsonb NOT NULL DEFAULT '{}'
                )
                """,
                // One index per filter, each ending in the sort order (newest first), so a filtered page is an
                // index range scan that stops after per_page rows.
                "CREATE INDEX entries_org_time ON activity.entries (organization_id, occurred_at DESC, id DESC)",
                "CREATE INDEX entries_org_actor_time ON activity.entries (organization_id, actor_id, occurred_at DESC, id DESC)",
                "CREATE INDEX entries_org_action_time ON activity.entries (organization_id, action, occurred_at DESC, id DESC)",
                """
                CREATE INDEX entries_org_resource_time
                ON activity.entries (organization_id, resource_type, resource_id, occurred_at DESC, id DESC)
                """,
                // Retention deletes by age across organizations; entries arrive in time order, so BRIN is tiny.
                "CREATE INDEX entries_occurred_brin ON activity.entries USING brin (occurred_at)",
            ]
        ),
        Migration(
            4,
            "index_actor_action",
            [
                // A manager's list is always scoped to their own entries, often with an action filter.
                """
                CREATE INDEX entries_org_actor_action_time
                ON activity.entries (organization_id, actor_id, action, occurred_at DESC, id DESC)
                """
            ]
        ),
        Outbox.eventTypeMigration(5, schema: schema),
    ]
}
