//! What the web interface stores beside the hub's own records: passwords and sessions.

use async_trait::async_trait;
use sqlx::Row;

use crate::{Result, model::Id, sqlite::SqliteMeta};

/// A signed-in browser. Only the hash of the cookie value is stored.
#[derive(Clone, Debug)]
pub struct Session {
    pub user_id: Id,
    pub created_at: i64,
    pub expires_at: i64,
}

#[async_trait]
pub trait WebStore: Send + Sync + 'static {
    /// The argon2 PHC string of the account's password, if it has one.
    async fn password(&self, user: Id) -> Result<Option<String>>;
    async fn set_password(&self, user: Id, phc: &str) -> Result<()>;

    async fn create_session(&self, hash: &str, user: Id, expires_at: i64) -> Result<()>;
    /// The session, if it exists and has not expired.
    async fn session(&self, hash: &str, now: i64) -> Result<Option<Session>>;
    async fn delete_session(&self, hash: &str) -> Result<()>;

    /// Records the scanner's summary (`safe`, `unknown`, `unsafe`) of commit `head` of a repository.
    async fn set_scan_status(&self, repo: Id, head: &str, status: &str) -> Result<()>;
    /// The summary, if it was recorded for `head`.
    async fn scan_status(&self, repo: Id, head: &str) -> Result<Option<String>>;
}

#[async_trait]
impl WebStore for SqliteMeta {
    async fn password(&self, user: Id) -> Result<Option<String>> {
        Ok(
            sqlx::query_scalar::<_, Option<String>>("SELECT password FROM accounts WHERE id = $1")
                .bind(user)
                .fetch_optional(self.pool())
                .await?
                .flatten(),
        )
    }

    async fn set_password(&self, user: Id, phc: &str) -> Result<()> {
        sqlx::query("UPDATE accounts SET password = $1 WHERE id = $2")
            .bind(phc)
            .bind(user)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    async fn create_session(&self, hash: &str, user: Id, expires_at: i64) -> Result<()> {
        let now = crate::now_ms();
        // Expired sessions go when new ones come: no background job needed.
        sqlx::query("DELETE FROM sessions WHERE expires_at < $1")
            .bind(now)
            .execute(self.pool())
            .await?;
        sqlx::query(
            "INSERT INTO sessions (hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(hash)
        .bind(user)
        .bind(now)
        .bind(expires_at)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    async fn session(&self, hash: &str, now: i64) -> Result<Option<Session>> {
        let row = sqlx::query(
            "SELECT user_id, created_at, expires_at FROM sessions WHERE hash = $1 AND expires_at > $2",
        )
        .bind(hash)
        .bind(now)
        .fetch_optional(self.pool())
        .await?;
        row.map(|r| {
            Ok(Session {
                user_id: r.try_get("user_id")?,
                created_at: r.try_get("created_at")?,
                expires_at: r.try_get("expires_at")?,
            })
        })
        .transpose()
    }

    async fn delete_session(&self, hash: &str) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE hash = $1")
            .bind(hash)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    async fn set_scan_status(&self, repo: Id, head: &str, status: &str) -> Result<()> {
        sqlx::query("UPDATE repos SET scan_commit = $1, scan_status = $2 WHERE id = $3")
            .bind(head)
            .bind(status)
            .bind(repo)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    async fn scan_status(&self, repo: Id, head: &str) -> Result<Option<String>> {
        Ok(sqlx::query_scalar::<_, Option<String>>(
            "SELECT scan_status FROM repos WHERE id = $1 AND scan_commit = $2",
        )
        .bind(repo)
        .bind(head)
        .fetch_optional(self.pool())
        .await?
        .flatten())
    }
}
