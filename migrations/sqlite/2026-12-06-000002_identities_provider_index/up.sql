-- The user list's provider filter (`u.id IN (SELECT user_id FROM identities WHERE provider = …)`)
-- reads one index range.
CREATE INDEX identities_provider_user_id ON identities (provider, user_id);
