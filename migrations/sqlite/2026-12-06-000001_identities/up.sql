-- A user signs in through one or more identities: a provider's subject, unique per provider.
-- Every existing account's Google subject moves here (invitations, which have none yet, get
-- their identity at the claim); `users.google_sub` goes. The email, name and picture are what
-- this provider said at its last use (an account's own profile stays on `users`);
-- `email_verified` there means the provider vouched for the address (verified, and
-- authoritative for it): after the move only Gmail addresses are, until each account's next
-- sign-in records what Google says (a Workspace account's `hd` is not stored).
--
-- SQLite cannot drop a UNIQUE column: `users` is rebuilt as SQLite's ALTER TABLE page says
-- (foreign keys off, new table, copy, drop, rename, indexes, check), in one transaction of its
-- own (metadata.toml), so that dropping the old table does not cascade to sessions.
PRAGMA foreign_keys = OFF;
BEGIN;

CREATE TABLE identities (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id        BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    provider       TEXT NOT NULL,
    subject        TEXT NOT NULL,
    email          TEXT,
    email_verified BOOLEAN NOT NULL DEFAULT 0,
    name           TEXT,
    picture        TEXT,
    created_at     TIMESTAMP NOT NULL,
    last_used_at   TIMESTAMP,
    UNIQUE (provider, subject)
);
CREATE INDEX identities_user_id ON identities (user_id);

INSERT INTO identities (user_id, provider, subject, email, email_verified, name, picture,
                        created_at, last_used_at)
SELECT id, 'google', google_sub, email,
       email_verified AND (email LIKE '%@gmail.com' OR email LIKE '%@googlemail.com'),
       name, picture, created_at, last_login_at
FROM users
WHERE NOT invited
ORDER BY id;

CREATE TABLE users_new (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    public_id      TEXT NOT NULL UNIQUE,
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
    invited        BOOLEAN NOT NULL DEFAULT 0,
    seen_at        TIMESTAMP GENERATED ALWAYS AS (COALESCE(last_login_at, created_at)) VIRTUAL,
    email_lc       TEXT GENERATED ALWAYS AS (signin_fold(email)) VIRTUAL,
    name_lc        TEXT GENERATED ALWAYS AS (signin_fold(name)) VIRTUAL
);
INSERT INTO users_new (id, public_id, email, email_verified, name, given_name, family_name,
                       picture, locale, role, status, created_at, updated_at, last_login_at,
                       invited)
SELECT id, public_id, email, email_verified, name, given_name, family_name, picture, locale,
       role, status, created_at, updated_at, last_login_at, invited
FROM users;
-- Ids of deleted users are never given again: the new table keeps the old one's high-water mark.
DELETE FROM sqlite_sequence WHERE name = 'users_new';
INSERT INTO sqlite_sequence (name, seq) SELECT 'users_new', seq FROM sqlite_sequence WHERE name = 'users';
DROP TABLE users;
ALTER TABLE users_new RENAME TO users;

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
