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
        ),
        Outbox.migration(2, schema: schema),
        Migration(
            3,
            "create_accounts",
            [
                """
                CREATE TABLE users.organizations (
                    id uuid PRIMARY KEY,
                    name text NOT NULL,
                    legal_name text,
                    inn text,
                    kpp text,
                    address text,
                    phone text,
                    email text,
                    website text,
                    created_at timestamptz NOT NULL DEFAULT now(),
                    updated_at timestamptz NOT NULL DEFAULT now()
                )
                """,
                """
                CREATE TABLE users.users (
                    id uuid PRIMARY KEY,
                    organization_id uuid NOT NULL REFERENCES users.organizations (id),
                    email text NOT NULL,
                    password_hash text NOT NULL,
                    role text NOT NULL CHECK (role IN ('admin', 'manager')),
                    active boolean NOT NULL DEFAULT true,
                    full_name text NOT NULL,
                    position text,
                    phone text,
                    contact_email text,
                    created_at timestamptz NOT NULL DEFAULT now(),
                    updated_at timestamptz NOT NULL DEFAULT now(),
                    last_login_at timestamptz
                )
                """,
                "CREATE UNIQUE INDEX users_email_unique ON users.users (lower(email))",
                "CREATE INDEX users_organization ON users.users (organization_id, created_at, id)",
                """
                CREATE TABLE users.refresh_tokens (
                    id uuid PRIMARY KEY,
                    user_id uuid NOT NULL REFERENCES users.users (id),
                    family_id uuid NOT NULL,
                    token_hash text NOT NULL UNIQUE,
                    created_at timestamptz NOT NULL DEFAULT now(),
                    expires_at timestamptz NOT NULL,
                    rotated_at timestamptz,
                    revoked_at timestamptz
                )
                """,
                "CREATE INDEX refresh_tokens_family ON users.refresh_tokens (family_id)",
                "CREATE INDEX refresh_tokens_user ON users.refresh_tokens (user_id) WHERE revoked_at IS NULL",
            ]
        ),
        Outbox.eventTypeMigration(4, schema: schema),
        Migration(
            5,
            "create_password_resets",
            [
                """
                CREATE TABLE users.password_resets (
                    id uuid PRIMARY KEY,
                    user_id uuid NOT NULL REFERENCES users.users (id),
                    token_hash text NOT NULL UNIQUE,
                    issued_by uuid REFERENCES users.users (id),
                    created_at timestamptz NOT NULL DEFAULT now(),
                    expires_at timestamptz NOT NULL,
                    used_at timestamptz,
                    revoked_at timestamptz
                )
                """,
                """
                CREATE INDEX password_resets_live ON users.password_resets (user_id)
                WHERE used_at IS NULL AND revoked_at IS NULL
                """,
                "COMMENT ON TABLE users.password_resets IS 'Single-use password reset tokens, stored only as SHA-256 hashes.'",
            ]
        ),
    ]
}
