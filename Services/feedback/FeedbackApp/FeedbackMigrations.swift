import ServiceKit

/// The feedback service's schema history, applied in order at start-up.
package enum FeedbackMigrations {
    /// The Postgres schema the feedback service owns; no other service reads or writes it.
    package static let schema = "feedback"

    package static let all: [Migration] = [
        Migration(
            1,
            "describe_schema",
            ["COMMENT ON SCHEMA feedback IS 'Owned by the feedback service: user feedback and its admin review queue.'"]
        )
    ]
}
