//! The metadata store interface. SQL databases implement it; nothing above this trait knows
//! which one. Operations that must be atomic are single methods (e.g. [`Meta::move_ref`]).

use async_trait::async_trait;

use crate::{AccessStore, Result, model::*};

#[async_trait]
pub trait Meta: AccessStore + crate::web::WebStore + Send + Sync + 'static {
    // Accounts.
    async fn create_account(
        &self,
        name: &str,
        kind: AccountKind,
        fullname: &str,
        email: Option<&str>,
        is_admin: bool,
    ) -> Result<Account>;
    /// Case-insensitive.
    async fn account_by_name(&self, name: &str) -> Result<Option<Account>>;
    async fn account(&self, id: Id) -> Result<Option<Account>>;
    async fn add_member(&self, org: Id, user: Id, role: Role) -> Result<()>;
    async fn role_in(&self, org: Id, user: Id) -> Result<Option<Role>>;
    async fn memberships(&self, user: Id) -> Result<Vec<Membership>>;

    // Tokens: only the hash is stored.
    async fn create_token(
        &self,
        user: Id,
        name: &str,
        role: TokenRole,
        hash: &str,
    ) -> Result<Token>;
    async fn token_by_hash(&self, hash: &str) -> Result<Option<Token>>;
    async fn touch_token(&self, id: Id, at: i64) -> Result<()>;

    // Settings of the installation (e.g. the signing key of upload URLs).
    async fn setting(&self, key: &str) -> Result<Option<String>>;
    /// Stores `value` unless the key is already set; returns the value in force.
    async fn setting_or_insert(&self, key: &str, value: &str) -> Result<String>;

    // Repositories.
    /// Fails with `Conflict` when the name is taken (case-insensitively).
    async fn create_repo(&self, repo: &NewRepo, initial: RefUpdate) -> Result<Repo>;
    /// Case-insensitive lookup of `namespace/name`.
    async fn repo_by_name(&self, kind: RepoType, full_name: &str) -> Result<Option<Repo>>;
    /// Where a moved repository went, if it was moved.
    async fn redirect(&self, kind: RepoType, full_name: &str) -> Result<Option<Repo>>;
    async fn repo(&self, id: Id) -> Result<Option<Repo>>;
    async fn delete_repo(&self, id: Id) -> Result<()>;
    async fn move_repo(&self, id: Id, owner: Id, namespace: &str, name: &str) -> Result<()>;
    async fn set_private(&self, id: Id, private: bool) -> Result<()>;
    async fn set_gated(&self, id: Id, gated: Option<Gated>) -> Result<()>;
    async fn count_download(&self, id: Id) -> Result<()>;
    async fn list_repos(&self, q: &RepoQuery) -> Result<Vec<Repo>>;
    /// Allocates the next pull-request number of the repository.
    async fn next_pr(&self, id: Id) -> Result<i64>;

    // Refs and the commit index.
    async fn refs(&self, repo: Id) -> Result<Vec<Ref>>;
    async fn get_ref(&self, repo: Id, name: &str) -> Result<Option<Ref>>;
    /// Compare-and-swap: moves the ref only if it still points at `update.old`; returns false
    /// (and changes nothing) otherwise. Commit rows and the summary land in the same transaction.
    async fn move_ref(&self, update: RefUpdate) -> Result<bool>;
    /// Deletes the ref if it still points at `old`.
    async fn delete_ref(&self, repo: Id, name: &str, old: &str) -> Result<bool>;
    async fn commit_row(&self, repo: Id, sha: &str) -> Result<Option<CommitRow>>;
    /// Commits of the repository whose id starts with `prefix` (at most 2: enough to tell ambiguity).
    async fn commits_with_prefix(&self, repo: Id, prefix: &str) -> Result<Vec<String>>;

    async fn set_scan_policy(&self, id: Id, flag_only: bool) -> Result<()>;

    // Scanner verdicts, by content.
    async fn put_scan(&self, s: &ScanRecord) -> Result<()>;
    /// Content ids after `after` whose verdict came from another rule set, in id order.
    async fn stale_scans(&self, ruleset: &str, after: &str, limit: i64) -> Result<Vec<String>>;
    /// The records among `content_ids` that exist.
    async fn scans(&self, content_ids: &[String]) -> Result<Vec<ScanRecord>>;

    // Openness assessments.
    async fn put_assessment(&self, a: &Assessment) -> Result<()>;
    async fn assessment(&self, repo: Id, commit: &str) -> Result<Option<Assessment>>;
    /// Repositories after `after` (by id) whose default-branch head was graded under other rules.
    async fn stale_assessments(&self, rules: &str, after: Id, limit: i64) -> Result<Vec<Id>>;
    /// Repositories after `after` (by id) with their default-branch head.
    async fn heads(&self, after: Id, limit: i64) -> Result<Vec<(Id, String)>>;

    // LFS objects a repository may reference: uploaded through it, or already in its history.
    async fn link_lfs(&self, repo: Id, oid: &str, size: i64) -> Result<()>;
    async fn lfs_size(&self, repo: Id, oid: &str) -> Result<Option<i64>>;
}
