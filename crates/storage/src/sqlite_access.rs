//! [`AccessStore`] on SQLite.

use async_trait::async_trait;
use sqlx::{Row, sqlite::SqliteRow};

use crate::{
    AccessStore, Error, Result,
    model::*,
    sqlite::{SqliteMeta, account_from, token_from},
};

fn request_from(row: &SqliteRow) -> Result<AccessRequest> {
    let status: String = row.try_get("status")?;
    Ok(AccessRequest {
        id: row.try_get("id")?,
        repo_id: row.try_get("repo_id")?,
        user_id: row.try_get("user_id")?,
        status: RequestStatus::parse(&status)
            .ok_or_else(|| Error::Corrupt(format!("request status {status}")))?,
        fields: row.try_get("fields")?,
        reason: row.try_get("reason")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        decided_by: row.try_get("decided_by")?,
    })
}

fn audit_from(row: &SqliteRow) -> Result<AuditEvent> {
    Ok(AuditEvent {
        id: row.try_get("id")?,
        at: row.try_get("at")?,
        action: row.try_get("action")?,
        actor_id: row.try_get("actor_id")?,
        actor: row.try_get("actor")?,
        token_id: row.try_get("token_id")?,
        address: row.try_get("address")?,
        owner_id: row.try_get("owner_id")?,
        repo_id: row.try_get("repo_id")?,
        repo: row.try_get("repo")?,
        detail: row.try_get("detail")?,
    })
}

#[async_trait]
impl AccessStore for SqliteMeta {
    async fn insert_token(&self, t: &NewToken) -> Result<Token> {
        let scopes = t
            .scopes
            .as_ref()
            .map(|s| serde_json::to_string(s).map_err(|e| Error::Corrupt(e.to_string())))
            .transpose()?;
        let row = sqlx::query(
            "INSERT INTO tokens (user_id, name, hash, role, created_at, expires_at, scopes) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *",
        )
        .bind(t.user_id)
        .bind(&t.name)
        .bind(&t.hash)
        .bind(t.role.as_str())
        .bind(crate::now_ms())
        .bind(t.expires_at)
        .bind(scopes)
        .fetch_one(&self.pool)
        .await?;
        token_from(&row)
    }

    async fn tokens_of(&self, user: Id) -> Result<Vec<Token>> {
        let rows = sqlx::query("SELECT * FROM tokens WHERE user_id = $1 ORDER BY id DESC")
            .bind(user)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(token_from).collect()
    }

    async fn revoke_token(&self, user: Id, id: Id, at: i64) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE tokens SET revoked_at = $1 WHERE id = $2 AND user_id = $3 AND revoked_at IS NULL",
        )
        .bind(at)
        .bind(id)
        .bind(user)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn members(&self, org: Id) -> Result<Vec<(Account, Role)>> {
        let rows = sqlx::query(
            "SELECT a.*, m.role AS member_role FROM members m JOIN accounts a ON a.id = m.user_id \
             WHERE m.org_id = $1 ORDER BY a.name_key",
        )
        .bind(org)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let role: String = r.try_get("member_role")?;
                let role = Role::parse(&role)
                    .ok_or_else(|| Error::Corrupt(format!("member role {role}")))?;
                Ok((account_from(r)?, role))
            })
            .collect()
    }

    async fn set_member(&self, org: Id, user: Id, role: Option<Role>) -> Result<bool> {
        let mut tx = self.pool.begin().await?;
        match role {
            Some(r) => {
                sqlx::query(
                    "INSERT INTO members (org_id, user_id, role) VALUES ($1, $2, $3) \
                     ON CONFLICT (org_id, user_id) DO UPDATE SET role = excluded.role",
                )
                .bind(org)
                .bind(user)
                .bind(r.as_str())
                .execute(&mut *tx)
                .await?;
            }
            None => {
                sqlx::query("DELETE FROM members WHERE org_id = $1 AND user_id = $2")
                    .bind(org)
                    .bind(user)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        // Checked inside the transaction, so two admins demoting each other cannot both land.
        let admins: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM members WHERE org_id = $1 AND role = 'admin'")
                .bind(org)
                .fetch_one(&mut *tx)
                .await?;
        if admins == 0 {
            tx.rollback().await?;
            return Ok(false);
        }
        tx.commit().await?;
        Ok(true)
    }

    async fn access_request(&self, repo: Id, user: Id) -> Result<Option<AccessRequest>> {
        let row = sqlx::query("SELECT * FROM access_requests WHERE repo_id = $1 AND user_id = $2")
            .bind(repo)
            .bind(user)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(request_from).transpose()
    }

    async fn access_request_by_id(&self, repo: Id, id: Id) -> Result<Option<AccessRequest>> {
        let row = sqlx::query("SELECT * FROM access_requests WHERE repo_id = $1 AND id = $2")
            .bind(repo)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(request_from).transpose()
    }

    async fn decide(&self, d: &Decision) -> Result<Option<AccessRequest>> {
        let now = crate::now_ms();
        let row = match d.from {
            None => {
                let res = sqlx::query(
                    "INSERT INTO access_requests \
                     (repo_id, user_id, status, fields, reason, created_at, updated_at, decided_by) \
                     VALUES ($1, $2, $3, $4, $5, $6, $6, $7) RETURNING *",
                )
                .bind(d.repo_id)
                .bind(d.user_id)
                .bind(d.to.as_str())
                .bind(&d.fields)
                .bind(&d.reason)
                .bind(now)
                .bind(d.decided_by)
                .fetch_one(&self.pool)
                .await;
                match res {
                    Ok(row) => Some(row),
                    Err(e) if crate::sqlite::unique_violation(&e) => None,
                    Err(e) => return Err(e.into()),
                }
            }
            Some(from) => {
                sqlx::query(
                    "UPDATE access_requests SET status = $1, fields = COALESCE($2, fields), \
                     reason = $3, updated_at = $4, decided_by = $5 \
                     WHERE repo_id = $6 AND user_id = $7 AND status = $8 RETURNING *",
                )
                .bind(d.to.as_str())
                .bind(&d.fields)
                .bind(&d.reason)
                .bind(now)
                .bind(d.decided_by)
                .bind(d.repo_id)
                .bind(d.user_id)
                .bind(from.as_str())
                .fetch_optional(&self.pool)
                .await?
            }
        };
        row.as_ref().map(request_from).transpose()
    }

    async fn access_requests(
        &self,
        repo: Id,
        status: RequestStatus,
        after: Id,
        limit: i64,
    ) -> Result<Vec<(AccessRequest, Account)>> {
        let rows = sqlx::query(
            "SELECT r.id AS rid, r.repo_id, r.user_id, r.status, r.fields, r.reason, \
             r.created_at AS rcreated, r.updated_at, r.decided_by, a.* \
             FROM access_requests r JOIN accounts a ON a.id = r.user_id \
             WHERE r.repo_id = $1 AND r.status = $2 AND r.id > $3 ORDER BY r.id LIMIT $4",
        )
        .bind(repo)
        .bind(status.as_str())
        .bind(after)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let req = AccessRequest {
                    id: r.try_get("rid")?,
                    repo_id: r.try_get("repo_id")?,
                    user_id: r.try_get("user_id")?,
                    status,
                    fields: r.try_get("fields")?,
                    reason: r.try_get("reason")?,
                    created_at: r.try_get("rcreated")?,
                    updated_at: r.try_get("updated_at")?,
                    decided_by: r.try_get("decided_by")?,
                };
                Ok((req, account_from(r)?))
            })
            .collect()
    }

    async fn record_pull(&self, repo: Id, num: i64, author: Id) -> Result<()> {
        sqlx::query(
            "INSERT INTO pull_requests (repo_id, num, author_id, created_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (repo_id, num) DO NOTHING",
        )
        .bind(repo)
        .bind(num)
        .bind(author)
        .bind(crate::now_ms())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn pull_author(&self, repo: Id, num: i64) -> Result<Option<Id>> {
        Ok(sqlx::query_scalar(
            "SELECT author_id FROM pull_requests WHERE repo_id = $1 AND num = $2",
        )
        .bind(repo)
        .bind(num)
        .fetch_optional(&self.pool)
        .await?
        .flatten())
    }

    async fn append_audit(&self, e: &AuditEvent) -> Result<()> {
        sqlx::query(
            "INSERT INTO audit (at, action, actor_id, actor, token_id, address, owner_id, repo_id, repo, detail) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(e.at)
        .bind(&e.action)
        .bind(e.actor_id)
        .bind(&e.actor)
        .bind(e.token_id)
        .bind(&e.address)
        .bind(e.owner_id)
        .bind(e.repo_id)
        .bind(&e.repo)
        .bind(&e.detail)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn audit(&self, scope: AuditScope, after: Id, limit: i64) -> Result<Vec<AuditEvent>> {
        let (filter, id) = match scope {
            AuditScope::Repo(id) => ("repo_id = $1", id),
            AuditScope::Owner(id) => ("owner_id = $1", id),
            AuditScope::All => ("$1 = $1", 0),
        };
        let sql = format!("SELECT * FROM audit WHERE {filter} AND id > $2 ORDER BY id LIMIT $3");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .bind(after)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(audit_from).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Meta;

    async fn store() -> (tempfile::TempDir, SqliteMeta) {
        let dir = tempfile::tempdir().expect("temp dir");
        let meta = SqliteMeta::open(&dir.path().join("agora.db"))
            .await
            .expect("open");
        (dir, meta)
    }

    async fn user(m: &SqliteMeta, name: &str, kind: AccountKind) -> Account {
        m.create_account(name, kind, name, None, false)
            .await
            .expect("account")
    }

    async fn repo(m: &SqliteMeta, owner: &Account) -> Repo {
        let new = NewRepo {
            kind: RepoType::Model,
            owner_id: owner.id,
            namespace: owner.name.clone(),
            name: "r".into(),
            private: false,
        };
        let init = RefUpdate {
            repo_id: 0,
            name: "refs/heads/main".into(),
            old: None,
            new: "0".repeat(40),
            commits: vec![],
            summary: None,
        };
        m.create_repo(&new, init).await.expect("repo")
    }

    fn decision(
        repo: &Repo,
        who: &Account,
        from: Option<RequestStatus>,
        to: RequestStatus,
    ) -> Decision {
        Decision {
            repo_id: repo.id,
            user_id: who.id,
            from,
            to,
            fields: None,
            reason: None,
            decided_by: None,
        }
    }

    #[tokio::test]
    async fn a_decision_lands_only_from_the_state_it_names() {
        let (_d, m) = store().await;
        let alice = user(&m, "alice", AccountKind::User).await;
        let bob = user(&m, "bob", AccountKind::User).await;
        let r = repo(&m, &alice).await;
        let ask = decision(&r, &bob, None, RequestStatus::Pending);
        assert!(m.decide(&ask).await.expect("ask").is_some());
        // A second "new request" and a decision from a stale state change nothing.
        assert!(m.decide(&ask).await.expect("again").is_none());
        let stale = decision(
            &r,
            &bob,
            Some(RequestStatus::Accepted),
            RequestStatus::Rejected,
        );
        assert!(m.decide(&stale).await.expect("stale").is_none());
        let accept = decision(
            &r,
            &bob,
            Some(RequestStatus::Pending),
            RequestStatus::Accepted,
        );
        let done = m.decide(&accept).await.expect("accept").expect("landed");
        assert_eq!(done.status, RequestStatus::Accepted);
        assert!(m.decide(&accept).await.expect("twice").is_none());
        let listed = m
            .access_requests(r.id, RequestStatus::Accepted, 0, 10)
            .await
            .expect("list");
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].1.name, "bob");
    }

    #[tokio::test]
    async fn an_organisation_never_loses_its_last_admin() {
        let (_d, m) = store().await;
        let org = user(&m, "acme", AccountKind::Org).await;
        let a = user(&m, "a", AccountKind::User).await;
        let b = user(&m, "b", AccountKind::User).await;
        assert!(
            m.set_member(org.id, a.id, Some(Role::Admin))
                .await
                .expect("a")
        );
        assert!(
            !m.set_member(org.id, a.id, Some(Role::Write))
                .await
                .expect("demote")
        );
        assert!(!m.set_member(org.id, a.id, None).await.expect("leave"));
        assert!(
            m.set_member(org.id, b.id, Some(Role::Admin))
                .await
                .expect("b")
        );
        assert!(
            m.set_member(org.id, a.id, None)
                .await
                .expect("now a may leave")
        );
        let members = m.members(org.id).await.expect("members");
        assert_eq!(
            members
                .iter()
                .map(|(u, r)| (u.name.as_str(), *r))
                .collect::<Vec<_>>(),
            [("b", Role::Admin)]
        );
    }

    #[tokio::test]
    async fn the_audit_log_refuses_changes() {
        let (_d, m) = store().await;
        let e = AuditEvent {
            at: 1,
            action: "test".into(),
            detail: "{}".into(),
            ..AuditEvent::default()
        };
        m.append_audit(&e).await.expect("append");
        let update = sqlx::query("UPDATE audit SET action = 'x'")
            .execute(&m.pool)
            .await;
        assert!(update.is_err());
        let delete = sqlx::query("DELETE FROM audit").execute(&m.pool).await;
        assert!(delete.is_err());
        let all = m.audit(AuditScope::All, 0, 10).await.expect("read");
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].action, "test");
    }

    #[tokio::test]
    async fn revoked_tokens_stay_listed_but_not_live() {
        let (_d, m) = store().await;
        let a = user(&m, "a", AccountKind::User).await;
        let t = m
            .insert_token(&NewToken {
                user_id: a.id,
                name: "t".into(),
                role: TokenRole::Read,
                hash: "h".into(),
                scopes: Some(vec![Scope {
                    kind: ScopeKind::Model,
                    name: "a/r".into(),
                    permissions: vec![Permission::Read],
                }]),
                expires_at: None,
            })
            .await
            .expect("token");
        assert!(m.revoke_token(a.id, t.id, 5).await.expect("revoke"));
        assert!(!m.revoke_token(a.id, t.id, 6).await.expect("again"));
        let listed = m.tokens_of(a.id).await.expect("list");
        assert_eq!(listed[0].revoked_at, Some(5));
        assert!(!listed[0].live(0));
        assert_eq!(listed[0].scopes.as_ref().map(Vec::len), Some(1));
    }
}
