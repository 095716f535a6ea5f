-- Openness assessments of commits (agora-openness reports), one per repository commit.
CREATE TABLE assessments (
    repo_id     BIGINT NOT NULL REFERENCES repos(id) ON DELETE CASCADE,
    commit_sha  TEXT NOT NULL,
    bucket      TEXT NOT NULL,
    osaid       TEXT NOT NULL,
    mof_class   TEXT NOT NULL,
    licence     TEXT,
    report      TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (repo_id, commit_sha)
);
