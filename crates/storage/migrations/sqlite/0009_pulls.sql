-- Who opened each pull request: its author may push more commits to it with the right to
-- contribute alone, as on the Hub.
CREATE TABLE pull_requests (
    repo_id    BIGINT NOT NULL REFERENCES repos(id) ON DELETE CASCADE,
    num        BIGINT NOT NULL,
    author_id  BIGINT REFERENCES accounts(id) ON DELETE SET NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (repo_id, num)
);
