import ServiceKit

/// The rates service's schema history, applied in order at start-up.
package enum RatesMigrations {
    /// The Postgres schema the rates service owns; no other service reads or writes it.
    package static let schema = "rates"

    package static let all: [Migration] = [
        Migration(
            1,
            "describe_schema",
            ["COMMENT ON SCHEMA rates IS 'Owned by the rates service: Bank of Russia exchange rates.'"]
        )
    ]
}
