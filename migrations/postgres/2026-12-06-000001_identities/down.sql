-- Back to one Google subject per account: the oldest Google identity, else a placeholder that
-- no provider sends (as an invitation has).
ALTER TABLE users ADD COLUMN google_sub TEXT;
UPDATE users SET google_sub = (
    SELECT i.subject FROM identities i
    WHERE i.user_id = users.id AND i.provider = 'google'
    ORDER BY i.id LIMIT 1
);
UPDATE users SET google_sub = 'invitation:' || public_id WHERE google_sub IS NULL;
ALTER TABLE users ALTER COLUMN google_sub SET NOT NULL;
ALTER TABLE users ADD CONSTRAINT users_google_sub_key UNIQUE (google_sub);
DROP TABLE identities;
