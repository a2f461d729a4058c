-- Admin area: indexed case-insensitive prefix search, keyset sort keys, and the audit log.

-- Lower-cased copies computed by the database (virtual columns, indexed). SQLite's BINARY
-- collation compares bytes, so a prefix search is a plain range (`col >= 'abc' AND col < 'abd'`).
-- SQLite's lower() folds ASCII only; PostgreSQL's folds all of Unicode.
ALTER TABLE users ADD COLUMN email_lc TEXT GENERATED ALWAYS AS (lower(email)) VIRTUAL;
ALTER TABLE users ADD COLUMN name_lc TEXT GENERATED ALWAYS AS (lower(name)) VIRTUAL;
-- "Last sign-in" as a never-null sort key (a user that never signed in sorts by creation).
ALTER TABLE users ADD COLUMN seen_at TIMESTAMP GENERATED ALWAYS AS (COALESCE(last_login_at, created_at)) VIRTUAL;

CREATE INDEX users_email_lc ON users (email_lc);
CREATE INDEX users_name_lc ON users (name_lc);
CREATE INDEX users_created_at_id ON users (created_at, id);
CREATE INDEX users_seen_at_id ON users (seen_at, id);
-- The rare values of the filters, in both sort orders (partial: nearly free to maintain);
-- the common values are served by walking a sort index and skipping the few that differ.
CREATE INDEX users_admins_created ON users (created_at, id) WHERE role = 'admin';
CREATE INDEX users_admins_seen ON users (seen_at, id) WHERE role = 'admin';
CREATE INDEX users_disabled_created ON users (created_at, id) WHERE status = 'disabled';
CREATE INDEX users_disabled_seen ON users (seen_at, id) WHERE status = 'disabled';

CREATE TABLE audit_log (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    at           TIMESTAMP NOT NULL,
    actor_id     BIGINT REFERENCES users (id) ON DELETE SET NULL,
    actor_label  TEXT NOT NULL,
    action       TEXT NOT NULL,
    target_id    BIGINT REFERENCES users (id) ON DELETE SET NULL,
    target_label TEXT,
    detail       TEXT,
    ip           TEXT
);

CREATE INDEX audit_log_action_id ON audit_log (action, id);
CREATE INDEX audit_log_actor_id ON audit_log (actor_id, id);
CREATE INDEX audit_log_target_id ON audit_log (target_id, id);
