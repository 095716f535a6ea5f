-- Xet storage (issue 8). Xorbs live in the object store under `xet/xorbs/<hash>`; these tables
-- are what the CAS verified about them. Nothing here is written before the bytes it describes
-- were checked and made durable.

-- A stored xorb: its size in the object store and the index of its chunks (hash, end in the
-- stored bytes, end once decompressed), computed by the server from the bytes.
CREATE TABLE xet_xorbs (
    hash        TEXT PRIMARY KEY,
    size        BIGINT NOT NULL,
    chunks      BLOB NOT NULL,
    created_at  BIGINT NOT NULL
);

-- Who may build files out of a xorb: the repositories it was uploaded through or used by, and
-- the users who uploaded its bytes (proof they hold the content).
CREATE TABLE xet_xorb_links (
    xorb        TEXT NOT NULL REFERENCES xet_xorbs(hash),
    repo_id     BIGINT NOT NULL REFERENCES repos(id) ON DELETE CASCADE,
    user_id     BIGINT,
    PRIMARY KEY (xorb, repo_id)
);
CREATE INDEX xet_xorb_links_repo ON xet_xorb_links(repo_id);
CREATE INDEX xet_xorb_links_user ON xet_xorb_links(user_id, xorb);

-- A file whose reconstruction was verified: its Xet hash, the sha256 and size of the bytes it
-- reconstructs to (what commits name it by), and its terms (xorb, chunk range, length).
CREATE TABLE xet_files (
    hash        TEXT PRIMARY KEY,
    sha256      TEXT NOT NULL,
    size        BIGINT NOT NULL,
    terms       BLOB NOT NULL,
    created_at  BIGINT NOT NULL
);
CREATE INDEX xet_files_sha256 ON xet_files(sha256);

-- Global deduplication, per repository: a chunk hash the client may ask about, and the xorb
-- that holds it.
CREATE TABLE xet_dedup (
    repo_id     BIGINT NOT NULL REFERENCES repos(id) ON DELETE CASCADE,
    chunk       TEXT NOT NULL,
    xorb        TEXT NOT NULL REFERENCES xet_xorbs(hash),
    PRIMARY KEY (repo_id, chunk)
);
