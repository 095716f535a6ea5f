//! What the Xet CAS verified, in the metadata store: xorbs (size and chunk index), who may use
//! them, files and their reconstructions, and the per-repository deduplication index.
//! A trait of its own so the rest of the metadata store does not grow with it.

use async_trait::async_trait;
use sqlx::Row;

use crate::{Result, model::Id, now_ms, sqlite::SqliteMeta};

/// A stored xorb.
#[derive(Clone, Debug)]
pub struct XorbRow {
    pub size: i64,
    /// `agora_xet::XorbIndex::encode`.
    pub chunks: Vec<u8>,
}

/// A verified file.
#[derive(Clone, Debug)]
pub struct XetFile {
    pub hash: String,
    pub sha256: String,
    pub size: i64,
    /// `agora_xet::encode_terms`.
    pub terms: Vec<u8>,
}

/// Storage a repository's Xet files use.
#[derive(Clone, Copy, Debug, Default, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct XetUsage {
    /// Distinct xorbs the repository's files are built from (or were uploaded through it).
    pub xorbs: i64,
    /// Their bytes as stored (compressed chunks): what the repository costs.
    pub stored_bytes: i64,
    /// Distinct files uploaded through Xet into the repository, and their total size.
    pub files: i64,
    pub file_bytes: i64,
}

#[async_trait]
pub trait XetMeta: Send + Sync + 'static {
    async fn xorb(&self, hash: &str) -> Result<Option<XorbRow>>;
    /// Records a stored xorb (if new) and links it to the repository and uploader.
    async fn put_xorb(&self, hash: &str, row: &XorbRow, repo: Id, user: Option<Id>)
    -> Result<bool>;
    /// May `repo` (or `user`, who uploaded its bytes somewhere) build files from this xorb?
    async fn xorb_usable(&self, hash: &str, repo: Id, user: Option<Id>) -> Result<bool>;
    /// Records a verified file, links its xorbs to the repository, the repository's dedup
    /// entries, and lets the repository reference the content by sha256 — in one transaction.
    async fn put_file(
        &self,
        file: &XetFile,
        repo: Id,
        xorbs: &[String],
        dedup: &[(String, String)],
    ) -> Result<()>;
    async fn add_dedup(&self, repo: Id, entries: &[(String, String)]) -> Result<()>;
    async fn file(&self, hash: &str) -> Result<Option<XetFile>>;
    async fn file_by_sha256(&self, sha256: &str) -> Result<Option<XetFile>>;
    /// The xorb holding `chunk`, among those of the repository.
    async fn dedup(&self, repo: Id, chunk: &str) -> Result<Option<String>>;
    async fn usage(&self, repo: Id) -> Result<XetUsage>;
    /// Bytes of every stored xorb: what the whole CAS holds.
    async fn total_stored(&self) -> Result<i64>;
}

fn file_from(r: &sqlx::sqlite::SqliteRow) -> Result<XetFile> {
    Ok(XetFile {
        hash: r.try_get("hash")?,
        sha256: r.try_get("sha256")?,
        size: r.try_get("size")?,
        terms: r.try_get("terms")?,
    })
}

/// The file a query of `xet_files` with one text argument finds, if any.
async fn file_where(
    pool: &sqlx::SqlitePool,
    sql: &'static str,
    arg: &str,
) -> Result<Option<XetFile>> {
    sqlx::query(sql)
        .bind(arg)
        .fetch_optional(pool)
        .await?
        .as_ref()
        .map(file_from)
        .transpose()
}

/// Adds `(chunk, xorb)` pairs to the repository's deduplication index, inside the caller's
/// transaction.
async fn insert_dedup(
    conn: &mut sqlx::SqliteConnection,
    repo: Id,
    entries: &[(String, String)],
) -> Result<()> {
    for (chunk, xorb) in entries {
        sqlx::query("INSERT INTO xet_dedup (repo_id, chunk, xorb) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
            .bind(repo)
            .bind(chunk)
            .bind(xorb)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

#[async_trait]
impl XetMeta for SqliteMeta {
    async fn xorb(&self, hash: &str) -> Result<Option<XorbRow>> {
        let row = sqlx::query("SELECT size, chunks FROM xet_xorbs WHERE hash = $1")
            .bind(hash)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| {
            Ok(XorbRow {
                size: r.try_get("size")?,
                chunks: r.try_get("chunks")?,
            })
        })
        .transpose()
    }

    async fn put_xorb(
        &self,
        hash: &str,
        row: &XorbRow,
        repo: Id,
        user: Option<Id>,
    ) -> Result<bool> {
        let mut tx = self.pool.begin().await?;
        let inserted = sqlx::query(
            "INSERT INTO xet_xorbs (hash, size, chunks, created_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (hash) DO NOTHING",
        )
        .bind(hash)
        .bind(row.size)
        .bind(&row.chunks)
        .bind(now_ms())
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        sqlx::query(
            "INSERT INTO xet_xorb_links (xorb, repo_id, user_id) VALUES ($1, $2, $3) \
             ON CONFLICT (xorb, repo_id) DO UPDATE SET user_id = COALESCE(xet_xorb_links.user_id, excluded.user_id)",
        )
        .bind(hash)
        .bind(repo)
        .bind(user)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(inserted)
    }

    async fn xorb_usable(&self, hash: &str, repo: Id, user: Option<Id>) -> Result<bool> {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM xet_xorb_links WHERE xorb = $1 AND (repo_id = $2 OR (user_id IS NOT NULL AND user_id = $3))",
        )
        .bind(hash)
        .bind(repo)
        .bind(user)
        .fetch_one(&self.pool)
        .await?;
        Ok(n > 0)
    }

    async fn put_file(
        &self,
        file: &XetFile,
        repo: Id,
        xorbs: &[String],
        dedup: &[(String, String)],
    ) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO xet_files (hash, sha256, size, terms, created_at) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (hash) DO NOTHING",
        )
        .bind(&file.hash)
        .bind(&file.sha256)
        .bind(file.size)
        .bind(&file.terms)
        .bind(now_ms())
        .execute(&mut *tx)
        .await?;
        for x in xorbs {
            sqlx::query(
                "INSERT INTO xet_xorb_links (xorb, repo_id, user_id) VALUES ($1, $2, NULL) ON CONFLICT DO NOTHING",
            )
            .bind(x)
            .bind(repo)
            .execute(&mut *tx)
            .await?;
        }
        insert_dedup(&mut tx, repo, dedup).await?;
        sqlx::query("INSERT INTO lfs_objects (repo_id, oid, size) VALUES ($1, $2, $3) ON CONFLICT (repo_id, oid) DO NOTHING")
            .bind(repo)
            .bind(&file.sha256)
            .bind(file.size)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn add_dedup(&self, repo: Id, entries: &[(String, String)]) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        insert_dedup(&mut tx, repo, entries).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn file(&self, hash: &str) -> Result<Option<XetFile>> {
        file_where(
            &self.pool,
            "SELECT hash, sha256, size, terms FROM xet_files WHERE hash = $1",
            hash,
        )
        .await
    }

    async fn file_by_sha256(&self, sha256: &str) -> Result<Option<XetFile>> {
        file_where(
            &self.pool,
            "SELECT hash, sha256, size, terms FROM xet_files WHERE sha256 = $1 ORDER BY created_at LIMIT 1",
            sha256,
        )
        .await
    }

    async fn dedup(&self, repo: Id, chunk: &str) -> Result<Option<String>> {
        Ok(
            sqlx::query_scalar("SELECT xorb FROM xet_dedup WHERE repo_id = $1 AND chunk = $2")
                .bind(repo)
                .bind(chunk)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    async fn usage(&self, repo: Id) -> Result<XetUsage> {
        let r = sqlx::query(
            "SELECT COUNT(*) AS n, COALESCE(SUM(x.size), 0) AS bytes FROM xet_xorb_links l \
             JOIN xet_xorbs x ON x.hash = l.xorb WHERE l.repo_id = $1",
        )
        .bind(repo)
        .fetch_one(&self.pool)
        .await?;
        let f = sqlx::query(
            "SELECT COUNT(*) AS n, COALESCE(SUM(size), 0) AS bytes FROM lfs_objects o \
             WHERE o.repo_id = $1 AND EXISTS (SELECT 1 FROM xet_files f WHERE f.sha256 = o.oid)",
        )
        .bind(repo)
        .fetch_one(&self.pool)
        .await?;
        Ok(XetUsage {
            xorbs: r.try_get("n")?,
            stored_bytes: r.try_get("bytes")?,
            files: f.try_get("n")?,
            file_bytes: f.try_get("bytes")?,
        })
    }

    async fn total_stored(&self) -> Result<i64> {
        Ok(
            sqlx::query_scalar("SELECT COALESCE(SUM(size), 0) FROM xet_xorbs")
                .fetch_one(&self.pool)
                .await?,
        )
    }
}
