-- An invitation (`signin users add`) is a user row made before the person's first sign-in.
-- Until then it has no provider subject: `google_sub` holds a random placeholder no provider
-- sends (`invitation:` + 256 random bits; the column stays NOT NULL UNIQUE, so existing rows and
-- the upsert on it are unchanged) and `invited` is true. The first sign-in whose verified email
-- matches sets the real subject and clears `invited`.
ALTER TABLE users ADD COLUMN invited BOOLEAN NOT NULL DEFAULT 0;
