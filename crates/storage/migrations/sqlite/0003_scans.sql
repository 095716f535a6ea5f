-- Scanner verdicts, by content: `sha256:<hex>` for LFS content, `git:<blob id>` for regular files.
CREATE TABLE scans (
    content_id  TEXT PRIMARY KEY,
    verdict     TEXT NOT NULL CHECK (verdict IN ('safe', 'unknown', 'unsafe')),
    ruleset     TEXT NOT NULL,
    report      TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);

-- What a commit with an unsafe file does: 'reject' it (default) or 'flag' the file and accept.
ALTER TABLE repos ADD COLUMN scan_policy TEXT NOT NULL DEFAULT 'reject' CHECK (scan_policy IN ('reject', 'flag'));
