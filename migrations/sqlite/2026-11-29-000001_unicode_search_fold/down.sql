DROP INDEX users_email_lc;
DROP INDEX users_name_lc;
ALTER TABLE users DROP COLUMN email_lc;
ALTER TABLE users DROP COLUMN name_lc;
ALTER TABLE users ADD COLUMN email_lc TEXT GENERATED ALWAYS AS (lower(email)) VIRTUAL;
ALTER TABLE users ADD COLUMN name_lc TEXT GENERATED ALWAYS AS (lower(name)) VIRTUAL;
CREATE INDEX users_email_lc ON users (email_lc);
CREATE INDEX users_name_lc ON users (name_lc);
