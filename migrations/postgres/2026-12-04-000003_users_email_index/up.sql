-- A sign-in looks up the address to refuse one that another provider subject holds.
CREATE INDEX users_email ON users (email);
