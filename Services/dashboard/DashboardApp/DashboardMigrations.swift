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
        ),
        Migration(
            2,
            "create_projection",
            [
                // Customers and quotes as the quoting core's events describe them; `version` orders updates,
                // deletions are kept as tombstones so an older update arriving late cannot revive them.
                """
                CREATE TABLE dashboard.customers (
                    organization_id uuid NOT NULL,
                    id text NOT NULL,
                    name text,
                    inn text,
                    created_at timestamptz NOT NULL,
                    version bigint NOT NULL,
                    deleted boolean NOT NULL DEFAULT false,
                    PRIMARY KEY (organization_id, id)
                )
                """,
                "CREATE INDEX customers_created ON dashboard.customers (organization_id, created_at) WHERE NOT deleted",
                """
                CREATE TABLE dashboard.quotes (
                    organization_id uuid NOT NULL,
                    id text NOT NULL,
                    number text,
                    customer_id text,
                    manager_id text,
                    status text NOT NULL CHECK (status IN ('draft', 'sent', 'accepted', 'rejected', 'expired')),
                    total_amount numeric(22, 6) NOT NULL DEFAULT 0,
                    currency text NOT NULL DEFAULT 'RUB',
                    quote_date date,
                    accepted_at timestamptz,
                    accepted_on date,
                    version bigint NOT NULL,
                    deleted boolean NOT NULL DEFAULT false,
                    PRIMARY KEY (organization_id, id)
                )
                """,
                """
                CREATE INDEX quotes_accepted ON dashboard.quotes (organization_id, accepted_on)
                INCLUDE (currency, total_amount) WHERE status = 'accepted' AND NOT deleted
                """,
                "CREATE INDEX quotes_currency_accepted ON dashboard.quotes (currency, accepted_on) WHERE status = 'accepted' AND NOT deleted",
                // CBR rates from `rates.published`: the price of one unit in RUB, per effective date.
                """
                CREATE TABLE dashboard.rates (
                    currency text NOT NULL,
                    effective_date date NOT NULL,
                    rate numeric(24, 10) NOT NULL,
                    PRIMARY KEY (currency, effective_date)
                )
                """,
            ]
        ),
        Migration(
            3,
            "statistics_indexes",
            [
                // Per-status counts as an index-only scan.
                "CREATE INDEX quotes_status_date ON dashboard.quotes (organization_id, status, quote_date) WHERE NOT deleted",
                // Accepted amounts per currency and day, in index order. `accepted_on IS NOT NULL` keeps the
                // planner's row estimate right, so it picks this index over `quotes_accepted`.
                """
                CREATE INDEX quotes_accepted_days ON dashboard.quotes (organization_id, currency, accepted_on)
                INCLUDE (total_amount) WHERE status = 'accepted' AND NOT deleted AND accepted_on IS NOT NULL
                """,
            ]
        ),
    ]
}
