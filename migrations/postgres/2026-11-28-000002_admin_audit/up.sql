-- Admin area: indexed case-insensitive prefix search, keyset sort keys, and the audit log.

-- Lower-cased copies kept by the database itself, in the "C" collation so that a prefix
-- search is a plain byte range (`col >= 'abc' AND col < 'abd'`) served by a btree.
ALTER TABLE users
    ADD COLUMN email_lc TEXT COLLATE "C" GENERATED ALWAYS AS (lower(email)) STORED,
    ADD COLUMN name_lc  TEXT COLLATE "C" GENERATED ALWAYS AS (lower(name)) STORED,
    -- "Last sign-in" as a never-null sort key (a user that never signed in sorts by creation).
    ADD COLUMN seen_at  TIMESTAMP GENERATED ALWAYS AS (COALESCE(last_login_at, created_at)) STORED;

-- Prefix search. With the filter columns (and, for names, the email) in the index, counting
-- the matches of "email OR name" is two index-only scans: the email matches, plus the name
-- matches whose email does not match.
CREATE INDEX users_email_lc ON users (email_lc) INCLUDE (role, status);
CREATE INDEX users_name_lc ON users (name_lc) INCLUDE (email_lc, role, status);
-- Keyset pagination in either direction, ties broken by id. They carry the search and filter
-- columns too, so that a page is found by an index-only scan that skips non-matching entries
-- without reading their rows (a broad prefix such as "ada" skips ~40 entries per match).
CREATE INDEX users_created_at_id ON users (created_at, id) INCLUDE (email_lc, name_lc, role, status);
CREATE INDEX users_seen_at_id ON users (seen_at, id) INCLUDE (email_lc, name_lc, role, status);
-- The rare values of the filters, in both sort orders (partial: nearly free to maintain);
-- the common values are served by walking a sort index and skipping the few that differ.
CREATE INDEX users_admins_created ON users (created_at, id) WHERE role = 'admin';
CREATE INDEX users_admins_seen ON users (seen_at, id) WHERE role = 'admin';
CREATE INDEX users_disabled_created ON users (created_at, id) WHERE status = 'disabled';
CREATE INDEX users_disabled_seen ON users (seen_at, id) WHERE status = 'disabled';

-- Every admin and CLI action, sign-in, sign-out and refused sign-in. Written in the same
-- transaction as the change it records. Labels keep the email as it was, so that the log
-- still reads right after a user changes address or is deleted.
CREATE TABLE audit_log (
    id           BIGSERIAL PRIMARY KEY,
    at           TIMESTAMP NOT NULL,
    actor_id     BIGINT REFERENCES users (id) ON DELETE SET NULL,
    actor_label  TEXT NOT NULL,
    action       TEXT NOT NULL,
    target_id    BIGINT REFERENCES users (id) ON DELETE SET NULL,
    target_label TEXT,
    detail       TEXT,
    ip           TEXT
);

-- Newest first (id order), overall and per action / per user.
CREATE INDEX audit_log_action_id ON audit_log (action, id);
CREATE INDEX audit_log_actor_id ON audit_log (actor_id, id);
CREATE INDEX audit_log_target_id ON audit_log (target_id, id);

-- The planner's row estimate for a query: lets the user list say "about 1,000,000" instead of
-- counting a million rows on every page view. Callers pass text built with format('%L', …),
-- never raw input.
CREATE FUNCTION plan_rows(query text) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    line text;
BEGIN
    FOR line IN EXECUTE 'EXPLAIN ' || query LOOP
        RETURN substring(line FROM ' rows=([0-9]+)')::bigint;
    END LOOP;
    RETURN NULL;
END
$$;
