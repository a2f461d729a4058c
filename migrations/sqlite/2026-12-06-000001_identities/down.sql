-- Back to one Google subject per account (the oldest Google identity, else a placeholder no
-- provider sends), rebuilding `users` as up.sql does.
PRAGMA foreign_keys = OFF;
BEGIN;

CREATE TABLE users_old (
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
    last_login_at  TIMESTAMP,
    seen_at        TIMESTAMP GENERATED ALWAYS AS (COALESCE(last_login_at, created_at)) VIRTUAL,
    email_lc       TEXT GENERATED ALWAYS AS (signin_fold(email)) VIRTUAL,
    name_lc        TEXT GENERATED ALWAYS AS (signin_fold(name)) VIRTUAL,
    invited        BOOLEAN NOT NULL DEFAULT 0
);
INSERT INTO users_old (id, public_id, google_sub, email, email_verified, name, given_name,
                       family_name, picture, locale, role, status, created_at, updated_at,
                       last_login_at, invited)
SELECT id, public_id,
       COALESCE((SELECT i.subject FROM identities i
                 WHERE i.user_id = users.id AND i.provider = 'google'
                 ORDER BY i.id LIMIT 1), 'invitation:' || public_id),
       email, email_verified, name, given_name, family_name, picture, locale, role, status,
       created_at, updated_at, last_login_at, invited
FROM users;
DELETE FROM sqlite_sequence WHERE name = 'users_old';
INSERT INTO sqlite_sequence (name, seq) SELECT 'users_old', seq FROM sqlite_sequence WHERE name = 'users';
DROP TABLE identities;
DROP TABLE users;
ALTER TABLE users_old RENAME TO users;

CREATE INDEX users_email ON users (email);
CREATE INDEX users_email_lc ON users (email_lc);
CREATE INDEX users_name_lc ON users (name_lc);
CREATE INDEX users_created_at_id ON users (created_at, id);
CREATE INDEX users_seen_at_id ON users (seen_at, id);
CREATE INDEX users_admins_created ON users (created_at, id) WHERE role = 'admin';
CREATE INDEX users_admins_seen ON users (seen_at, id) WHERE role = 'admin';
CREATE INDEX users_disabled_created ON users (created_at, id) WHERE status = 'disabled';
CREATE INDEX users_disabled_seen ON users (seen_at, id) WHERE status = 'disabled';

COMMIT;
PRAGMA foreign_keys = ON;
