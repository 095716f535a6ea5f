-- The web interface: passwords (argon2id PHC strings; NULL: the account cannot sign in on the
-- web, e.g. organisations and users made by `agora user create`), and sign-in sessions.
ALTER TABLE accounts ADD COLUMN password TEXT;

-- Sessions are stored only as the SHA-256 of their cookie value, like tokens.
CREATE TABLE sessions (
    hash        TEXT PRIMARY KEY,
    user_id     BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL
);
CREATE INDEX sessions_by_user ON sessions (user_id);

-- The scanner's summary of the default branch head, for search filters: `safe` (every file safe),
-- `unknown` (some file the scanner could not vouch for), `unsafe` (a flagged file). It applies
-- only while `scan_commit` is still the head.
ALTER TABLE repos ADD COLUMN scan_commit TEXT;
ALTER TABLE repos ADD COLUMN scan_status TEXT CHECK (scan_status IN ('safe', 'unknown', 'unsafe'));
