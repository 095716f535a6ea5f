//! The embedded default metadata store: one SQLite file in WAL mode.

use std::{path::Path, str::FromStr, time::Duration};

use async_trait::async_trait;
use sqlx::{
    AssertSqlSafe, Row, SqlitePool,
    sqlite::{
        SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteRow, SqliteSynchronous,
    },
};

use crate::{Error, Meta, Result, model::*, now_ms};

#[derive(Clone, Debug)]
pub struct SqliteMeta {
    pub(crate) pool: SqlitePool,
}

const REPO_COLUMNS: &str = "r.id, r.kind, r.owner_id, r.namespace, r.name, r.private, r.gated, r.created_at, \
     r.last_modified, r.downloads, r.likes, r.head, r.card_data, r.tags, r.scan_policy";

impl SqliteMeta {
    /// Opens (creating if needed) the database file and brings its schema up to date.
    pub async fn open(path: &Path) -> Result<Self> {
        let opts = SqliteConnectOptions::from_str("sqlite://")?
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // WAL + NORMAL is durable against process crashes; a power loss may lose the last
            // transactions but never corrupts the database.
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(opts)
            .await?;
        sqlx::migrate!("./migrations/sqlite").run(&pool).await?;
        Ok(Self { pool })
    }

    pub(crate) fn pool(&self) -> &SqlitePool {
        &self.pool
    }
}

pub(crate) fn key(name: &str) -> String {
    name.to_lowercase()
}

pub(crate) fn account_from(row: &SqliteRow) -> Result<Account> {
    let kind: String = row.try_get("kind")?;
    Ok(Account {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        kind: if kind == "org" {
            AccountKind::Org
        } else {
            AccountKind::User
        },
        fullname: row.try_get("fullname")?,
        email: row.try_get("email")?,
        is_admin: row.try_get("is_admin")?,
        created_at: row.try_get("created_at")?,
    })
}

fn repo_from(row: &SqliteRow) -> Result<Repo> {
    let kind: String = row.try_get("kind")?;
    let gated: Option<String> = row.try_get("gated")?;
    let tags: String = row.try_get("tags")?;
    Ok(Repo {
        id: row.try_get("id")?,
        kind: RepoType::parse(&kind).ok_or_else(|| Error::Corrupt(format!("repo kind {kind}")))?,
        owner_id: row.try_get("owner_id")?,
        namespace: row.try_get("namespace")?,
        name: row.try_get("name")?,
        private: row.try_get("private")?,
        gated: gated.as_deref().and_then(Gated::parse),
        created_at: row.try_get("created_at")?,
        last_modified: row.try_get("last_modified")?,
        downloads: row.try_get("downloads")?,
        likes: row.try_get("likes")?,
        head: row.try_get("head")?,
        card_data: row.try_get("card_data")?,
        tags: serde_json::from_str(&tags).map_err(|e| Error::Corrupt(e.to_string()))?,
        scan_flag_only: row.try_get::<String, _>("scan_policy")? == "flag",
    })
}

pub(crate) fn token_from(row: &SqliteRow) -> Result<Token> {
    let role: String = row.try_get("role")?;
    let scopes: Option<String> = row.try_get("scopes")?;
    Ok(Token {
        id: row.try_get("id")?,
        user_id: row.try_get("user_id")?,
        name: row.try_get("name")?,
        role: if role == "write" {
            TokenRole::Write
        } else {
            TokenRole::Read
        },
        created_at: row.try_get("created_at")?,
        last_used_at: row.try_get("last_used_at")?,
        expires_at: row.try_get("expires_at")?,
        revoked_at: row.try_get("revoked_at")?,
        scopes: scopes
            .map(|s| {
                serde_json::from_str(&s).map_err(|e| Error::Corrupt(format!("token scopes: {e}")))
            })
            .transpose()?,
    })
}

fn commit_from(row: &SqliteRow) -> Result<CommitRow> {
    let parents: String = row.try_get("parents")?;
    Ok(CommitRow {
        sha: row.try_get("sha")?,
        parents: parents.split_whitespace().map(str::to_owned).collect(),
        author: row.try_get("author")?,
        date: row.try_get("date")?,
        title: row.try_get("title")?,
        message: row.try_get("message")?,
    })
}

pub(crate) fn unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.is_unique_violation())
}

/// Applies a ref update inside `tx`; false when the compare-and-swap lost.
async fn apply_ref_update(tx: &mut sqlx::SqliteConnection, u: &RefUpdate) -> Result<bool> {
    let moved = match &u.old {
        Some(old) => {
            sqlx::query(
                "UPDATE refs SET target = $1 WHERE repo_id = $2 AND name = $3 AND target = $4",
            )
            .bind(&u.new)
            .bind(u.repo_id)
            .bind(&u.name)
            .bind(old)
            .execute(&mut *tx)
            .await?
            .rows_affected()
                == 1
        }
        None => match sqlx::query("INSERT INTO refs (repo_id, name, target) VALUES ($1, $2, $3)")
            .bind(u.repo_id)
            .bind(&u.name)
            .bind(&u.new)
            .execute(&mut *tx)
            .await
        {
            Ok(_) => true,
            Err(e) if unique_violation(&e) => false,
            Err(e) => return Err(e.into()),
        },
    };
    if !moved {
        return Ok(false);
    }
    for c in &u.commits {
        sqlx::query(
            "INSERT INTO commits (repo_id, sha, parents, author, date, title, message) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (repo_id, sha) DO NOTHING",
        )
        .bind(u.repo_id)
        .bind(&c.sha)
        .bind(c.parents.join(" "))
        .bind(&c.author)
        .bind(c.date)
        .bind(&c.title)
        .bind(&c.message)
        .execute(&mut *tx)
        .await?;
    }
    if let Some(s) = &u.summary {
        let tags = serde_json::to_string(&s.tags).map_err(|e| Error::Corrupt(e.to_string()))?;
        sqlx::query("UPDATE repos SET head = $1, card_data = $2, tags = $3, last_modified = $4 WHERE id = $5")
            .bind(&u.new)
            .bind(&s.card_data)
            .bind(tags)
            .bind(s.last_modified)
            .bind(u.repo_id)
            .execute(&mut *tx)
            .await?;
    } else {
        sqlx::query("UPDATE repos SET last_modified = $1 WHERE id = $2")
            .bind(now_ms())
            .bind(u.repo_id)
            .execute(&mut *tx)
            .await?;
    }
    Ok(true)
}

#[async_trait]
impl Meta for SqliteMeta {
    async fn create_account(
        &self,
        name: &str,
        kind: AccountKind,
        fullname: &str,
        email: Option<&str>,
        is_admin: bool,
    ) -> Result<Account> {
        let kind_s = match kind {
            AccountKind::User => "user",
            AccountKind::Org => "org",
        };
        let res = sqlx::query(
            "INSERT INTO accounts (name, name_key, kind, fullname, email, is_admin, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *",
        )
        .bind(name)
        .bind(key(name))
        .bind(kind_s)
        .bind(fullname)
        .bind(email)
        .bind(is_admin)
        .bind(now_ms())
        .fetch_one(&self.pool)
        .await;
        match res {
            Ok(row) => account_from(&row),
            Err(e) if unique_violation(&e) => {
                Err(Error::Conflict(format!("the name {name} is taken")))
            }
            Err(e) => Err(e.into()),
        }
    }

    async fn account_by_name(&self, name: &str) -> Result<Option<Account>> {
        let row = sqlx::query("SELECT * FROM accounts WHERE name_key = $1")
            .bind(key(name))
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(account_from).transpose()
    }

    async fn account(&self, id: Id) -> Result<Option<Account>> {
        let row = sqlx::query("SELECT * FROM accounts WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(account_from).transpose()
    }

    async fn add_member(&self, org: Id, user: Id, role: Role) -> Result<()> {
        sqlx::query(
            "INSERT INTO members (org_id, user_id, role) VALUES ($1, $2, $3) \
             ON CONFLICT (org_id, user_id) DO UPDATE SET role = excluded.role",
        )
        .bind(org)
        .bind(user)
        .bind(role.as_str())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn role_in(&self, org: Id, user: Id) -> Result<Option<Role>> {
        let role: Option<String> =
            sqlx::query_scalar("SELECT role FROM members WHERE org_id = $1 AND user_id = $2")
                .bind(org)
                .bind(user)
                .fetch_optional(&self.pool)
                .await?;
        Ok(role.as_deref().and_then(Role::parse))
    }

    async fn memberships(&self, user: Id) -> Result<Vec<Membership>> {
        let rows = sqlx::query(
            "SELECT a.*, m.role AS member_role FROM members m JOIN accounts a ON a.id = m.org_id \
             WHERE m.user_id = $1 ORDER BY a.name_key",
        )
        .bind(user)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let role: String = r.try_get("member_role")?;
                Ok(Membership {
                    org: account_from(r)?,
                    role: Role::parse(&role).unwrap_or(Role::Read),
                })
            })
            .collect()
    }

    async fn create_token(
        &self,
        user: Id,
        name: &str,
        role: TokenRole,
        hash: &str,
    ) -> Result<Token> {
        let row = sqlx::query(
            "INSERT INTO tokens (user_id, name, hash, role, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING *",
        )
        .bind(user)
        .bind(name)
        .bind(hash)
        .bind(role.as_str())
        .bind(now_ms())
        .fetch_one(&self.pool)
        .await?;
        token_from(&row)
    }

    async fn token_by_hash(&self, hash: &str) -> Result<Option<Token>> {
        let row = sqlx::query("SELECT * FROM tokens WHERE hash = $1")
            .bind(hash)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(token_from).transpose()
    }

    async fn touch_token(&self, id: Id, at: i64) -> Result<()> {
        sqlx::query("UPDATE tokens SET last_used_at = $1 WHERE id = $2")
            .bind(at)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn setting(&self, k: &str) -> Result<Option<String>> {
        Ok(
            sqlx::query_scalar("SELECT value FROM settings WHERE key = $1")
                .bind(k)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    async fn setting_or_insert(&self, k: &str, value: &str) -> Result<String> {
        sqlx::query(
            "INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
        )
        .bind(k)
        .bind(value)
        .execute(&self.pool)
        .await?;
        self.setting(k).await?.ok_or(Error::NotFound)
    }

    async fn create_repo(&self, repo: &NewRepo, mut initial: RefUpdate) -> Result<Repo> {
        let mut tx = self.pool.begin().await?;
        let now = now_ms();
        let res = sqlx::query(
            "INSERT INTO repos (kind, owner_id, namespace, name, full_key, private, created_at, last_modified) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id",
        )
        .bind(repo.kind.as_str())
        .bind(repo.owner_id)
        .bind(&repo.namespace)
        .bind(&repo.name)
        .bind(key(&format!("{}/{}", repo.namespace, repo.name)))
        .bind(repo.private)
        .bind(now)
        .fetch_one(&mut *tx)
        .await;
        let id: Id = match res {
            Ok(row) => row.try_get("id")?,
            Err(e) if unique_violation(&e) => {
                return Err(Error::Conflict(format!("{}/{}", repo.namespace, repo.name)));
            }
            Err(e) => return Err(e.into()),
        };
        // A fresh repository takes over its name from any redirect left by a move.
        sqlx::query("DELETE FROM redirects WHERE kind = $1 AND full_key = $2")
            .bind(repo.kind.as_str())
            .bind(key(&format!("{}/{}", repo.namespace, repo.name)))
            .execute(&mut *tx)
            .await?;
        initial.repo_id = id;
        if !apply_ref_update(&mut tx, &initial).await? {
            return Err(Error::Conflict("initial ref".into()));
        }
        tx.commit().await?;
        self.repo(id).await?.ok_or(Error::NotFound)
    }

    async fn repo_by_name(&self, kind: RepoType, full_name: &str) -> Result<Option<Repo>> {
        let sql =
            format!("SELECT {REPO_COLUMNS} FROM repos r WHERE r.kind = $1 AND r.full_key = $2");
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(kind.as_str())
            .bind(key(full_name))
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(repo_from).transpose()
    }

    async fn redirect(&self, kind: RepoType, full_name: &str) -> Result<Option<Repo>> {
        let sql = format!(
            "SELECT {REPO_COLUMNS} FROM redirects d JOIN repos r ON r.id = d.repo_id WHERE d.kind = $1 AND d.full_key = $2"
        );
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(kind.as_str())
            .bind(key(full_name))
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(repo_from).transpose()
    }

    async fn repo(&self, id: Id) -> Result<Option<Repo>> {
        let sql = format!("SELECT {REPO_COLUMNS} FROM repos r WHERE r.id = $1");
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(repo_from).transpose()
    }

    async fn delete_repo(&self, id: Id) -> Result<()> {
        sqlx::query("DELETE FROM repos WHERE id = $1")
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn move_repo(&self, id: Id, owner: Id, namespace: &str, name: &str) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        let old = sqlx::query("SELECT kind, full_key FROM repos WHERE id = $1")
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
        let kind: String = old.try_get("kind")?;
        let old_key: String = old.try_get("full_key")?;
        let new_key = key(&format!("{namespace}/{name}"));
        let res = sqlx::query("UPDATE repos SET owner_id = $1, namespace = $2, name = $3, full_key = $4 WHERE id = $5")
            .bind(owner)
            .bind(namespace)
            .bind(name)
            .bind(&new_key)
            .bind(id)
            .execute(&mut *tx)
            .await;
        match res {
            Ok(_) => {}
            Err(e) if unique_violation(&e) => {
                return Err(Error::Conflict(format!("{namespace}/{name}")));
            }
            Err(e) => return Err(e.into()),
        }
        sqlx::query("DELETE FROM redirects WHERE kind = $1 AND full_key = $2")
            .bind(&kind)
            .bind(&new_key)
            .execute(&mut *tx)
            .await?;
        if old_key != new_key {
            sqlx::query(
                "INSERT INTO redirects (kind, full_key, repo_id) VALUES ($1, $2, $3) \
                 ON CONFLICT (kind, full_key) DO UPDATE SET repo_id = excluded.repo_id",
            )
            .bind(&kind)
            .bind(&old_key)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn set_private(&self, id: Id, private: bool) -> Result<()> {
        sqlx::query("UPDATE repos SET private = $1 WHERE id = $2")
            .bind(private)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn set_gated(&self, id: Id, gated: Option<Gated>) -> Result<()> {
        sqlx::query("UPDATE repos SET gated = $1 WHERE id = $2")
            .bind(gated.map(Gated::as_str))
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn count_download(&self, id: Id) -> Result<()> {
        sqlx::query("UPDATE repos SET downloads = downloads + 1 WHERE id = $1")
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn list_repos(&self, q: &RepoQuery) -> Result<Vec<Repo>> {
        // Built from fixed fragments only; every value is bound.
        let mut sql = format!("SELECT {REPO_COLUMNS} FROM repos r WHERE r.kind = $1");
        let mut n = 1;
        let mut next = || {
            n += 1;
            n
        };
        let viewer_arg = q.viewer.map(|_| next());
        match viewer_arg {
            Some(i) => sql.push_str(&format!(
                " AND (r.private = FALSE OR r.owner_id = ${i} OR r.owner_id IN (SELECT org_id FROM members WHERE user_id = ${i}))"
            )),
            None => sql.push_str(" AND r.private = FALSE"),
        }
        let search_arg = q.search.as_ref().map(|_| next());
        if let Some(i) = search_arg {
            sql.push_str(&format!(" AND instr(r.full_key, ${i}) > 0"));
        }
        let author_arg = q.author.as_ref().map(|_| next());
        if let Some(i) = author_arg {
            sql.push_str(&format!(" AND lower(r.namespace) = ${i}"));
        }
        let mut tag_args = Vec::new();
        for _ in &q.tags {
            let i = next();
            tag_args.push(i);
            sql.push_str(&format!(
                " AND EXISTS (SELECT 1 FROM json_each(r.tags) t WHERE t.value = ${i})"
            ));
        }
        let mut grade_args = Vec::new();
        for (field, _) in &q.grades {
            let i = next();
            grade_args.push(i);
            let col = match field {
                GradeField::Bucket => "bucket",
                GradeField::Osaid => "osaid",
                GradeField::MofClass => "mof_class",
                GradeField::LicenceClass => "licence_class",
                GradeField::Scan => {
                    sql.push_str(&format!(
                        " AND r.scan_commit = r.head AND r.scan_status = ${i}"
                    ));
                    continue;
                }
            };
            sql.push_str(&format!(
                " AND EXISTS (SELECT 1 FROM assessments a WHERE a.repo_id = r.id AND a.commit_sha = r.head AND a.{col} = ${i})"
            ));
        }
        let col = match q.sort {
            SortKey::LastModified => "r.last_modified",
            SortKey::CreatedAt => "r.created_at",
            SortKey::Downloads => "r.downloads",
            SortKey::Likes => "r.likes",
            SortKey::Id => "r.full_key",
        };
        let dir = if q.descending { "DESC" } else { "ASC" };
        let limit_i = next();
        let offset_i = next();
        sql.push_str(&format!(
            " ORDER BY {col} {dir}, r.id {dir} LIMIT ${limit_i} OFFSET ${offset_i}"
        ));

        let mut query = sqlx::query(AssertSqlSafe(sql)).bind(q.kind.as_str());
        if let Some(v) = q.viewer {
            query = query.bind(v);
        }
        if let Some(s) = &q.search {
            query = query.bind(s.to_lowercase());
        }
        if let Some(a) = &q.author {
            query = query.bind(a.to_lowercase());
        }
        for t in &q.tags {
            query = query.bind(t.clone());
        }
        for (_, v) in &q.grades {
            query = query.bind(v.clone());
        }
        let rows = query
            .bind(q.limit)
            .bind(q.offset)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(repo_from).collect()
    }

    async fn next_pr(&self, id: Id) -> Result<i64> {
        let n: i64 = sqlx::query_scalar(
            "UPDATE repos SET next_pr = next_pr + 1 WHERE id = $1 RETURNING next_pr - 1",
        )
        .bind(id)
        .fetch_one(&self.pool)
        .await?;
        Ok(n)
    }

    async fn refs(&self, repo: Id) -> Result<Vec<Ref>> {
        let rows = sqlx::query("SELECT name, target FROM refs WHERE repo_id = $1 ORDER BY name")
            .bind(repo)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                Ok(Ref {
                    name: r.try_get("name")?,
                    target: r.try_get("target")?,
                })
            })
            .collect()
    }

    async fn get_ref(&self, repo: Id, name: &str) -> Result<Option<Ref>> {
        let row = sqlx::query("SELECT name, target FROM refs WHERE repo_id = $1 AND name = $2")
            .bind(repo)
            .bind(name)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| {
            Ok(Ref {
                name: r.try_get("name")?,
                target: r.try_get("target")?,
            })
        })
        .transpose()
    }

    async fn move_ref(&self, update: RefUpdate) -> Result<bool> {
        let mut tx = self.pool.begin().await?;
        if apply_ref_update(&mut tx, &update).await? {
            tx.commit().await?;
            Ok(true)
        } else {
            tx.rollback().await?;
            Ok(false)
        }
    }

    async fn delete_ref(&self, repo: Id, name: &str, old: &str) -> Result<bool> {
        let n = sqlx::query("DELETE FROM refs WHERE repo_id = $1 AND name = $2 AND target = $3")
            .bind(repo)
            .bind(name)
            .bind(old)
            .execute(&self.pool)
            .await?
            .rows_affected();
        Ok(n == 1)
    }

    async fn commit_row(&self, repo: Id, sha: &str) -> Result<Option<CommitRow>> {
        let row = sqlx::query("SELECT * FROM commits WHERE repo_id = $1 AND sha = $2")
            .bind(repo)
            .bind(sha)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(commit_from).transpose()
    }

    async fn commits_with_prefix(&self, repo: Id, prefix: &str) -> Result<Vec<String>> {
        // The range form (instead of LIKE) keeps this an index seek on every database.
        let upper = format!("{prefix}g");
        Ok(sqlx::query_scalar(
            "SELECT sha FROM commits WHERE repo_id = $1 AND sha >= $2 AND sha < $3 LIMIT 2",
        )
        .bind(repo)
        .bind(prefix)
        .bind(upper)
        .fetch_all(&self.pool)
        .await?)
    }

    async fn set_scan_policy(&self, id: Id, flag_only: bool) -> Result<()> {
        sqlx::query("UPDATE repos SET scan_policy = $1 WHERE id = $2")
            .bind(if flag_only { "flag" } else { "reject" })
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn put_scan(&self, s: &ScanRecord) -> Result<()> {
        sqlx::query(
            "INSERT INTO scans (content_id, verdict, ruleset, report, created_at) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (content_id) DO UPDATE SET verdict = excluded.verdict, ruleset = excluded.ruleset, \
             report = excluded.report, created_at = excluded.created_at",
        )
        .bind(&s.content_id)
        .bind(&s.verdict)
        .bind(&s.ruleset)
        .bind(&s.report)
        .bind(now_ms())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn stale_scans(&self, ruleset: &str, after: &str, limit: i64) -> Result<Vec<String>> {
        Ok(sqlx::query_scalar(
            "SELECT content_id FROM scans WHERE ruleset <> $1 AND content_id > $2 ORDER BY content_id LIMIT $3",
        )
        .bind(ruleset)
        .bind(after)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    async fn scans(&self, content_ids: &[String]) -> Result<Vec<ScanRecord>> {
        let mut out = Vec::new();
        // Chunks keep each statement within every database's parameter limit.
        for chunk in content_ids.chunks(500) {
            let params: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
            let sql = format!(
                "SELECT content_id, verdict, ruleset, report FROM scans WHERE content_id IN ({})",
                params.join(", ")
            );
            let mut q = sqlx::query(AssertSqlSafe(sql));
            for id in chunk {
                q = q.bind(id.clone());
            }
            for r in q.fetch_all(&self.pool).await? {
                out.push(ScanRecord {
                    content_id: r.try_get("content_id")?,
                    verdict: r.try_get("verdict")?,
                    ruleset: r.try_get("ruleset")?,
                    report: r.try_get("report")?,
                });
            }
        }
        Ok(out)
    }

    async fn put_assessment(&self, a: &Assessment) -> Result<()> {
        sqlx::query(
            "INSERT INTO assessments (repo_id, commit_sha, bucket, osaid, mof_class, licence, licence_class, report, created_at, rules) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (repo_id, commit_sha) DO UPDATE SET \
             bucket = excluded.bucket, osaid = excluded.osaid, mof_class = excluded.mof_class, \
             licence = excluded.licence, licence_class = excluded.licence_class, report = excluded.report, \
             created_at = excluded.created_at, rules = excluded.rules",
        )
        .bind(a.repo_id)
        .bind(&a.commit)
        .bind(&a.bucket)
        .bind(&a.osaid)
        .bind(&a.mof_class)
        .bind(&a.licence)
        .bind(&a.licence_class)
        .bind(&a.report)
        .bind(now_ms())
        .bind(&a.rules)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn assessment(&self, repo: Id, commit: &str) -> Result<Option<Assessment>> {
        let row = sqlx::query("SELECT * FROM assessments WHERE repo_id = $1 AND commit_sha = $2")
            .bind(repo)
            .bind(commit)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| {
            Ok(Assessment {
                repo_id: r.try_get("repo_id")?,
                commit: r.try_get("commit_sha")?,
                bucket: r.try_get("bucket")?,
                osaid: r.try_get("osaid")?,
                mof_class: r.try_get("mof_class")?,
                licence: r.try_get("licence")?,
                licence_class: r.try_get("licence_class")?,
                rules: r.try_get("rules")?,
                report: r.try_get("report")?,
            })
        })
        .transpose()
    }

    async fn stale_assessments(&self, rules: &str, after: Id, limit: i64) -> Result<Vec<Id>> {
        Ok(sqlx::query_scalar(
            "SELECT r.id FROM repos r JOIN assessments a ON a.repo_id = r.id AND a.commit_sha = r.head \
             WHERE a.rules <> $1 AND r.id > $2 ORDER BY r.id LIMIT $3",
        )
        .bind(rules)
        .bind(after)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    async fn heads(&self, after: Id, limit: i64) -> Result<Vec<(Id, String)>> {
        Ok(sqlx::query_as(
            "SELECT id, head FROM repos WHERE head IS NOT NULL AND id > $1 ORDER BY id LIMIT $2",
        )
        .bind(after)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    async fn link_lfs(&self, repo: Id, oid: &str, size: i64) -> Result<()> {
        sqlx::query("INSERT INTO lfs_objects (repo_id, oid, size) VALUES ($1, $2, $3) ON CONFLICT (repo_id, oid) DO NOTHING")
            .bind(repo)
            .bind(oid)
            .bind(size)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn lfs_size(&self, repo: Id, oid: &str) -> Result<Option<i64>> {
        Ok(
            sqlx::query_scalar("SELECT size FROM lfs_objects WHERE repo_id = $1 AND oid = $2")
                .bind(repo)
                .bind(oid)
                .fetch_optional(&self.pool)
                .await?,
        )
    }
}
