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
        ),
        Outbox.migration(2, schema: schema),
        Migration(
            3,
            "create_rates",
            [
                // One row per CBR set. valid_through is the last day CBR is known to have had no newer set: an
                // answer for a day after it may still change, so it is marked stale and not cached for long.
                """
                CREATE TABLE rates.rate_sets (
                    effective_date date PRIMARY KEY,
                    requested_date date NOT NULL,
                    valid_through date NOT NULL,
                    fetched_at timestamptz NOT NULL,
                    currency_count integer NOT NULL CHECK (currency_count > 0),
                    CHECK (valid_through >= effective_date)
                )
                """,
                // One row per currency and effective date, exactly as published (value for nominal units) and
                // per unit (rate = value / nominal); never floating point.
                """
                CREATE TABLE rates.exchange_rates (
                    effective_date date NOT NULL REFERENCES rates.rate_sets (effective_date),
                    code text NOT NULL,
                    cbr_id text NOT NULL,
                    num_code text NOT NULL,
                    name text NOT NULL,
                    nominal integer NOT NULL CHECK (nominal > 0),
                    value numeric NOT NULL CHECK (value > 0),
                    rate numeric NOT NULL CHECK (rate > 0),
                    vunit_rate numeric,
                    requested_date date NOT NULL,
                    fetched_at timestamptz NOT NULL,
                    PRIMARY KEY (effective_date, code)
                )
                """,
                // Every currency ever quoted, with the details of the newest set quoting it: validates symbols.
                """
                CREATE TABLE rates.currencies (
                    code text PRIMARY KEY,
                    cbr_id text NOT NULL,
                    num_code text NOT NULL,
                    name text NOT NULL,
                    nominal integer NOT NULL,
                    first_date date NOT NULL,
                    last_date date NOT NULL
                )
                """,
                // The health of the source, shared by every replica and kept across restarts.
                """
                CREATE TABLE rates.source_status (
                    source text PRIMARY KEY,
                    last_attempt_at timestamptz,
                    last_success_at timestamptz,
                    last_error text,
                    last_error_at timestamptz,
                    consecutive_failures integer NOT NULL DEFAULT 0
                )
                """,
            ]
        ),
        Outbox.eventTypeMigration(4, schema: schema),
    ]
}
