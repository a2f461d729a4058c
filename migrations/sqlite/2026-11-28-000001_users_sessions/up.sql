-- Users are keyed on the provider's subject (`google_sub`), never on email.
-- Timestamps are UTC, stored as ISO text by Diesel's Timestamp type.
CREATE TABLE users (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    public_id      TEXT NOT NULL UNIQUE,
    google_sub     TEXT NOT NULL UNIQUE,
    email          TEXT NOT NULL,
    email_verified BOOLEAN NOT NULL DEFAULT 0,
    name           TEXT NOT NULL,
    given_name     TEXT,
    family_name    TEXT,
    picture        TEXT,
    locale         TEXT,
    role           TEXT NOT NULL DEFAULT 'user' CHECK (role IN ('user', 'admin')),
    status         TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
    created_at     TIMESTAMP NOT NULL,
    updated_at     TIMESTAMP NOT NULL,
    last_login_at  TIMESTAMP
);

-- One row per issued app JWT (browser session or API token).
CREATE TABLE sessions (
    jti            TEXT PRIMARY KEY NOT NULL,
    user_id        BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind           TEXT NOT NULL DEFAULT 'browser' CHECK (kind IN ('browser', 'api')),
    created_at     TIMESTAMP NOT NULL,
    expires_at     TIMESTAMP NOT NULL,
    auth_time      TIMESTAMP NOT NULL,
    last_used_at   TIMESTAMP,
    revoked_at     TIMESTAMP,
    revoked_reason TEXT CHECK (revoked_reason IN ('logout', 'rotated', 'admin', 'disabled')),
    replaced_by    TEXT,
    user_agent     TEXT,
    ip             TEXT
);

CREATE INDEX sessions_user_id_created_at ON sessions (user_id, created_at DESC);
