-- Names are matched case-insensitively through *_key columns (lower-cased by the application),
-- so the same queries work on PostgreSQL without collations.
CREATE TABLE accounts (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL,
    name_key    TEXT NOT NULL UNIQUE,
    kind        TEXT NOT NULL CHECK (kind IN ('user', 'org')),
    fullname    TEXT NOT NULL DEFAULT '',
    email       TEXT,
    is_admin    BOOLEAN NOT NULL DEFAULT FALSE,
    created_at  BIGINT NOT NULL
);

CREATE TABLE members (
    org_id   BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    user_id  BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    role     TEXT NOT NULL CHECK (role IN ('read', 'contributor', 'write', 'admin')),
    PRIMARY KEY (org_id, user_id)
);

CREATE TABLE tokens (
    id            INTEGER PRIMARY KEY,
    user_id       BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    hash          TEXT NOT NULL UNIQUE,
    role          TEXT NOT NULL CHECK (role IN ('read', 'write')),
    created_at    BIGINT NOT NULL,
    last_used_at  BIGINT
);

CREATE TABLE settings (
    key    TEXT PRIMARY KEY,
    value  TEXT NOT NULL
);

CREATE TABLE repos (
    id             INTEGER PRIMARY KEY,
    kind           TEXT NOT NULL CHECK (kind IN ('model', 'dataset')),
    owner_id       BIGINT NOT NULL REFERENCES accounts(id),
    namespace      TEXT NOT NULL,
    name           TEXT NOT NULL,
    full_key       TEXT NOT NULL,
    private        BOOLEAN NOT NULL DEFAULT FALSE,
    gated          TEXT CHECK (gated IN ('auto', 'manual')),
    created_at     BIGINT NOT NULL,
    last_modified  BIGINT NOT NULL,
    downloads      BIGINT NOT NULL DEFAULT 0,
    likes          BIGINT NOT NULL DEFAULT 0,
    head           TEXT,
    card_data      TEXT,
    tags           TEXT NOT NULL DEFAULT '[]',
    next_pr        BIGINT NOT NULL DEFAULT 1,
    UNIQUE (kind, full_key)
);
CREATE INDEX repos_by_owner ON repos (owner_id);

-- Old names of moved repositories keep answering, as on the Hub.
CREATE TABLE redirects (
    kind      TEXT NOT NULL,
    full_key  TEXT NOT NULL,
    repo_id   BIGINT NOT NULL REFERENCES repos(id) ON DELETE CASCADE,
    PRIMARY KEY (kind, full_key)
);

CREATE TABLE refs (
    repo_id  BIGINT NOT NULL REFERENCES repos(id) ON DELETE CASCADE,
    name     TEXT NOT NULL,
    target   TEXT NOT NULL,
    PRIMARY KEY (repo_id, name)
);

CREATE TABLE commits (
    repo_id  BIGINT NOT NULL REFERENCES repos(id) ON DELETE CASCADE,
    sha      TEXT NOT NULL,
    parents  TEXT NOT NULL,
    author   TEXT NOT NULL,
    date     BIGINT NOT NULL,
    title    TEXT NOT NULL,
    message  TEXT NOT NULL,
    PRIMARY KEY (repo_id, sha)
);

CREATE TABLE lfs_objects (
    repo_id  BIGINT NOT NULL REFERENCES repos(id) ON DELETE CASCADE,
    oid      TEXT NOT NULL,
    size     BIGINT NOT NULL,
    PRIMARY KEY (repo_id, oid)
);
