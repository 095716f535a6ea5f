//! What the web interface stores beside the hub's own records: passwords, sessions, and the
//! listings its pages need (a user's tokens, an organisation's members).

use async_trait::async_trait;
use sqlx::Row;

use crate::{Result, model::*, sqlite::SqliteMeta};

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

    /// The user's tokens, newest first.
    async fn tokens_of(&self, user: Id) -> Result<Vec<Token>>;
    /// Deletes the token if it belongs to `user`; false if there was no such token.
    async fn delete_token(&self, user: Id, token: Id) -> Result<bool>;

    /// Members of an organisation, by name.
    async fn members(&self, org: Id) -> Result<Vec<(Account, Role)>>;
    async fn remove_member(&self, org: Id, user: Id) -> Result<()>;
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

    async fn tokens_of(&self, user: Id) -> Result<Vec<Token>> {
        let rows = sqlx::query("SELECT * FROM tokens WHERE user_id = $1 ORDER BY id DESC")
            .bind(user)
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(crate::sqlite::token_from).collect()
    }

    async fn delete_token(&self, user: Id, token: Id) -> Result<bool> {
        Ok(
            sqlx::query("DELETE FROM tokens WHERE id = $1 AND user_id = $2")
                .bind(token)
                .bind(user)
                .execute(self.pool())
                .await?
                .rows_affected()
                == 1,
        )
    }

    async fn members(&self, org: Id) -> Result<Vec<(Account, Role)>> {
        let rows = sqlx::query(
            "SELECT a.*, m.role AS member_role FROM members m JOIN accounts a ON a.id = m.user_id \
             WHERE m.org_id = $1 ORDER BY a.name_key",
        )
        .bind(org)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                let role: String = r.try_get("member_role")?;
                Ok((
                    crate::sqlite::account_from(r)?,
                    Role::parse(&role).unwrap_or(Role::Read),
                ))
            })
            .collect()
    }

    async fn remove_member(&self, org: Id, user: Id) -> Result<()> {
        sqlx::query("DELETE FROM members WHERE org_id = $1 AND user_id = $2")
            .bind(org)
            .bind(user)
            .execute(self.pool())
            .await?;
        Ok(())
    }
}
