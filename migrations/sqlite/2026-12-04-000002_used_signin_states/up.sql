-- A sign-in's state is single-use across instances: its hash is written at the callback, in
-- the sign-in's transaction; rows past the flow's lifetime are pruned on insert.
CREATE TABLE used_signin_states (
    state_hash TEXT PRIMARY KEY NOT NULL,
    expires_at TIMESTAMP NOT NULL
);
CREATE INDEX used_signin_states_expires_at ON used_signin_states (expires_at);
