import ServiceKit

/// The dashboard service's schema history, applied in order at start-up.
package enum DashboardMigrations {
    /// The Postgres schema the dashboard service owns; no other service reads or writes it.
    package static let schema = "dashboard"

    package static let all: [Migration] = [
        Migration(
            1,
            "describe_schema",
            [
                "COMMENT ON SCHEMA dashboard IS 'Owned by the dashboard service: customer, quote and revenue statistics built from events.'"
            ]
        )
    ]
}
