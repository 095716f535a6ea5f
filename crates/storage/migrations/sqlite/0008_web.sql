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
