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
        ),
        Outbox.migration(2, schema: schema),
        Migration(
            3,
            "create_submissions",
            [
                // Trigram indexes make the admin's free-text search (`ILIKE '%…%'`) an index scan. pg_trgm is a
                // trusted contrib extension: the database owner (or a role with CREATE on the database) may add it.
                "CREATE EXTENSION IF NOT EXISTS pg_trgm",
                """
                CREATE TABLE feedback.submissions (
                    id uuid PRIMARY KEY,
                    organization_id uuid NOT NULL,
                    user_id uuid NOT NULL,
                    user_email text,
                    category text NOT NULL CHECK (category IN ('bug', 'idea', 'question', 'other')),
                    message text NOT NULL CHECK (char_length(message) BETWEEN 1 AND 5000),
                    status text NOT NULL DEFAULT 'new'
                        CHECK (status IN ('new', 'in_progress', 'resolved', 'wont_fix')),
                    admin_note text CHECK (char_length(admin_note) BETWEEN 1 AND 5000),
                    page_url text CHECK (char_length(page_url) <= 2048),
                    user_agent text CHECK (char_length(user_agent) <= 1000),
                    app_version text CHECK (char_length(app_version) <= 64),
                    locale text CHECK (char_length(locale) <= 35),
                    viewport text CHECK (char_length(viewport) <= 32),
                    created_at timestamptz NOT NULL DEFAULT now(),
                    updated_at timestamptz NOT NULL DEFAULT now(),
                    resolved_at timestamptz,
                    resolved_by uuid,
                    CONSTRAINT submissions_closed_has_resolution CHECK (
                        (status IN ('resolved', 'wont_fix')) = (resolved_at IS NOT NULL)
                        AND (resolved_at IS NULL) = (resolved_by IS NULL)
                    )
                )
                """,
                // One index per admin filter, each ending in the sort order (newest first), so a filtered page
                // is an index range scan; the status index also serves the counts badge.
                """
                CREATE INDEX submissions_org_time
                ON feedback.submissions (organization_id, created_at DESC, id DESC)
                """,
                """
                CREATE INDEX submissions_org_status_time
                ON feedback.submissions (organization_id, status, created_at DESC, id DESC)
                """,
                """
                CREATE INDEX submissions_org_category_time
                ON feedback.submissions (organization_id, category, created_at DESC, id DESC)
                """,
                // The submitter's own list, and the duplicate check over their last ten minutes.
                """
                CREATE INDEX submissions_org_user_time
                ON feedback.submissions (organization_id, user_id, created_at DESC, id DESC)
                """,
                "CREATE INDEX submissions_message_trgm ON feedback.submissions USING gin (message gin_trgm_ops)",
                // An `Idempotency-Key` names the submission its first request answered with, together with a
                // fingerprint of that request's body, so a retry gets the same submission and a reused key
                // with a different body is refused.
                """
                CREATE TABLE feedback.idempotency_keys (
                    user_id uuid NOT NULL,
                    key text NOT NULL CHECK (char_length(key) BETWEEN 1 AND 255),
                    request_fingerprint text NOT NULL,
                    submission_id uuid NOT NULL REFERENCES feedback.submissions (id) ON DELETE CASCADE,
                    created_at timestamptz NOT NULL DEFAULT now(),
                    PRIMARY KEY (user_id, key)
                )
                """,
                "CREATE INDEX idempotency_keys_submission ON feedback.idempotency_keys (submission_id)",
            ]
        ),
        Outbox.eventTypeMigration(4, schema: schema),
    ]
}
