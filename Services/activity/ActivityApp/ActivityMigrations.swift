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
        )
    ]
}
