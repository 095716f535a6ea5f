-- Responsible access (issue 6): token lifetimes and scopes, access requests of gated
-- repositories, and the audit log.

-- A token stops working at `expires_at` or once `revoked_at` is set; the row stays so that its
-- owner still sees it, and the audit log still names it.
ALTER TABLE tokens ADD COLUMN expires_at BIGINT;
ALTER TABLE tokens ADD COLUMN revoked_at BIGINT;
-- Fine-grained tokens: a JSON array of {"type", "name", "permissions"}; NULL for a classic token,
-- which acts on everything its owner may.
ALTER TABLE tokens ADD COLUMN scopes TEXT;
CREATE INDEX tokens_by_user ON tokens (user_id, id);

-- One row per (repository, user): the latest state of that user's request. Decisions move the
-- row by compare-and-swap on `status`, so two conflicting decisions cannot both land.
CREATE TABLE access_requests (
    id          INTEGER PRIMARY KEY,
    repo_id     BIGINT NOT NULL REFERENCES repos(id) ON DELETE CASCADE,
    user_id     BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    status      TEXT NOT NULL CHECK (status IN ('pending', 'accepted', 'rejected')),
    -- The answers to the card's form (JSON object); NULL when an admin granted access directly.
    fields      TEXT,
    reason      TEXT,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    decided_by  BIGINT REFERENCES accounts(id) ON DELETE SET NULL,
    UNIQUE (repo_id, user_id)
);
CREATE INDEX access_requests_by_status ON access_requests (repo_id, status, id);

-- Append-only: no foreign keys (the record outlives what it names), and triggers refuse
-- any change or deletion.
CREATE TABLE audit (
    id        INTEGER PRIMARY KEY,
    at        BIGINT NOT NULL,
    action    TEXT NOT NULL,
    actor_id  BIGINT,
    actor     TEXT,
    token_id  BIGINT,
    address   TEXT,
    -- The account whose namespace the event belongs to (a repository's owner, the organisation
    -- of a membership change, the user of a token change): who may read it.
    owner_id  BIGINT,
    repo_id   BIGINT,
    repo      TEXT,
    detail    TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_by_repo ON audit (repo_id, id);
CREATE INDEX audit_by_owner ON audit (owner_id, id);
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
