-- A user signs in through one or more identities: a provider's subject, unique per provider.
-- Every existing account's Google subject moves here (invitations, which have none yet, get
-- their identity at the claim); `users.google_sub` goes. The email, name and picture are what
-- this provider said at its last use (an account's own profile stays on `users`);
-- `email_verified` there means the provider vouched for the address (verified, and
-- authoritative for it): after the move only Gmail addresses are, until each account's next
-- sign-in records what Google says (a Workspace account's `hd` is not stored).
CREATE TABLE identities (
    id             BIGSERIAL PRIMARY KEY,
    user_id        BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    provider       TEXT NOT NULL,
    subject        TEXT NOT NULL,
    email          TEXT,
    email_verified BOOLEAN NOT NULL DEFAULT false,
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

ALTER TABLE users DROP COLUMN google_sub;
