-- Logout and admin revocation look up a token's predecessors by replaced_by.
CREATE INDEX sessions_replaced_by ON sessions (replaced_by);
