//! The metadata of responsible access: token lifetimes and scopes, organisation membership,
//! access requests of gated repositories, and the append-only audit log. A part of [`Meta`]
//! (its supertrait), kept apart so the repository metadata stays readable.
//!
//! [`Meta`]: crate::Meta

use async_trait::async_trait;

use crate::{Result, model::*};

#[async_trait]
pub trait AccessStore: Send + Sync + 'static {
    // Tokens.
    async fn insert_token(&self, t: &NewToken) -> Result<Token>;
    /// Every token of the user, revoked and expired ones included, newest first.
    async fn tokens_of(&self, user: Id) -> Result<Vec<Token>>;
    /// Revokes the user's token `id`; false when there is no such live token.
    async fn revoke_token(&self, user: Id, id: Id, at: i64) -> Result<bool>;

    // Organisation membership.
    /// Members and their roles, by name.
    async fn members(&self, org: Id) -> Result<Vec<(Account, Role)>>;
    /// Sets `user`'s role (None removes them), unless that would leave the organisation without
    /// an admin; returns false (and changes nothing) in that case.
    async fn set_member(&self, org: Id, user: Id, role: Option<Role>) -> Result<bool>;

    // Access requests.
    async fn access_request(&self, repo: Id, user: Id) -> Result<Option<AccessRequest>>;
    async fn access_request_by_id(&self, repo: Id, id: Id) -> Result<Option<AccessRequest>>;
    /// Applies the decision if the request is still in `d.from`; returns the new state, or
    /// None (and changes nothing) when it is not.
    async fn decide(&self, d: &Decision) -> Result<Option<AccessRequest>>;
    /// Requests of one status after id `after`, oldest first, with their users.
    async fn access_requests(
        &self,
        repo: Id,
        status: RequestStatus,
        after: Id,
        limit: i64,
    ) -> Result<Vec<(AccessRequest, Account)>>;

    // Pull requests.
    async fn record_pull(&self, repo: Id, num: i64, author: Id) -> Result<()>;
    async fn pull_author(&self, repo: Id, num: i64) -> Result<Option<Id>>;

    // Audit.
    async fn append_audit(&self, e: &AuditEvent) -> Result<()>;
    /// Events of the scope after id `after`, oldest first.
    async fn audit(&self, scope: AuditScope, after: Id, limit: i64) -> Result<Vec<AuditEvent>>;
}
