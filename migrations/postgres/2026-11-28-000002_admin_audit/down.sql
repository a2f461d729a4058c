DROP FUNCTION plan_rows(text);
DROP TABLE audit_log;
DROP INDEX users_disabled;
DROP INDEX users_admins;
DROP INDEX users_seen_at_id;
DROP INDEX users_created_at_id;
DROP INDEX users_name_lc;
DROP INDEX users_email_lc;
ALTER TABLE users DROP COLUMN seen_at, DROP COLUMN name_lc, DROP COLUMN email_lc;
