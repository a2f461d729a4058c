-- The search columns fold case with the service's own SQL function `signin_fold` (Rust's
-- Unicode `to_lowercase`, the same fold the search applies to what is typed), registered on
-- every connection the service opens (src/db/mod.rs). SQLite's lower() folds ASCII only, so
-- "Élodie" was not found by "élodie". PostgreSQL's lower() already folds Unicode in a UTF-8
-- database; its migration of the same version changes nothing.
DROP INDEX users_email_lc;
DROP INDEX users_name_lc;
ALTER TABLE users DROP COLUMN email_lc;
ALTER TABLE users DROP COLUMN name_lc;
ALTER TABLE users ADD COLUMN email_lc TEXT GENERATED ALWAYS AS (signin_fold(email)) VIRTUAL;
ALTER TABLE users ADD COLUMN name_lc TEXT GENERATED ALWAYS AS (signin_fold(name)) VIRTUAL;
CREATE INDEX users_email_lc ON users (email_lc);
CREATE INDEX users_name_lc ON users (name_lc);
