import ServiceKit

/// The users service's schema history, applied in order at start-up.
package enum UsersMigrations {
    /// The Postgres schema the users service owns; no other service reads or writes it.
    package static let schema = "users"

    package static let all: [Migration] = [
        Migration(
            1,
            "describe_schema",
            [
                "COMMENT ON SCHEMA users IS 'Owned by the users service: accounts, login and tokens, manager profiles and organizations.'"
            ]
        )
    ]
}
