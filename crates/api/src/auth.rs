//! Who is calling, and what they may do with a repository.

use std::net::IpAddr;

use agora_storage::model::{
    Account, AccountKind, Permission, Repo, RepoType, Role, ScopeKind, Token, TokenRole,
};
use axum::{extract::FromRequestParts, http::request::Parts};
use sha2::{Digest, Sha256};

use crate::{
    AppState,
    error::{ApiError, ApiResult},
};

/// The caller of a request: anonymous, or a user through one of their tokens.
#[derive(Clone, Debug, Default)]
pub struct Caller {
    pub user: Option<Account>,
    pub token: Option<Token>,
    /// The peer address, when the server knows it (for rate limits and the audit log).
    pub address: Option<IpAddr>,
    /// Signed in on the web pages (the web crate checks the session and CSRF): acts with the
    /// user's own rights, as a classic write token would.
    pub session: bool,
}

/// What a caller may do with one repository, weakest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Access {
    None,
    Read,
    /// May open pull requests.
    Contribute,
    Write,
    Admin,
}

/// Tokens are stored only as their SHA-256: a leaked database leaks no usable token.
pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A new token: `hf_` (tools check for it) and 40 random alphanumerics (~238 bits).
pub fn new_token() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::rng();
    let body: String = (0..40)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect();
    format!("hf_{body}")
}

/// The secret of an `Authorization: Bearer` header, if it has a plausible shape.
pub fn bearer(headers: &axum::http::HeaderMap) -> Option<Result<&str, ()>> {
    let value = headers.get(axum::http::header::AUTHORIZATION)?;
    let token = value
        .to_str()
        .ok()
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
        .filter(|t| !t.is_empty() && t.len() <= 256);
    Some(token.ok_or(()))
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> ApiResult<Self> {
        let address = parts
            .extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map(|c| c.0.ip());
        let Some(token) = bearer(&parts.headers) else {
            return Ok(Caller {
                address,
                ..Caller::default()
            });
        };
        let invalid = || ApiError::unauthorized("Invalid credentials in Authorization header");
        let token = token.map_err(|()| invalid())?;
        let t = state
            .meta
            .token_by_hash(&hash_token(token))
            .await?
            .ok_or_else(invalid)?;
        let now = agora_storage::now_ms();
        if t.revoked_at.is_some() {
            return Err(invalid());
        }
        if !t.live(now) {
            return Err(ApiError::unauthorized(
                "This token has expired: create a new one",
            ));
        }
        let user = state.meta.account(t.user_id).await?.ok_or_else(invalid)?;
        // "Last used" to the minute: not a database write on every request.
        if t.last_used_at.is_none_or(|at| now - at > 60_000) {
            state.meta.touch_token(t.id, now).await?;
        }
        Ok(Caller {
            user: Some(user),
            token: Some(t),
            address,
            session: false,
        })
    }
}

impl Caller {
    /// A user signed in through the web interface; access is then decided here like for any
    /// caller.
    pub fn web_session(user: Account, address: Option<IpAddr>) -> Self {
        Caller {
            user: Some(user),
            token: None,
            address,
            session: true,
        }
    }

    pub fn require_user(&self) -> ApiResult<&Account> {
        self.user.as_ref().ok_or_else(|| {
            ApiError::unauthorized("You must be authenticated to do this. Pass a token.")
        })
    }

    /// A user with a classic write token: what managing tokens and accounts needs (a read or
    /// fine-grained token cannot mint itself wider rights).
    pub fn require_writer(&self) -> ApiResult<&Account> {
        let user = self.require_user()?;
        if self.session {
            return Ok(user);
        }
        match &self.token {
            Some(t) if t.role == TokenRole::Write && t.scopes.is_none() => Ok(user),
            Some(t) if t.scopes.is_some() => Err(ApiError::forbidden(
                "This fine-grained token cannot do this: use a classic write token.",
            )),
            _ => Err(read_only()),
        }
    }

    /// The account whose private repositories listings may show: none for fine-grained tokens,
    /// which show only public repositories there.
    pub fn viewer(&self) -> Option<agora_storage::model::Id> {
        match (&self.user, &self.token) {
            (Some(u), _) if self.session => Some(u.id),
            (Some(u), Some(t)) if t.scopes.is_none() => Some(u.id),
            _ => None,
        }
    }

    /// The most the token lets its owner do in namespace `ns` (`repo`: one repository of it).
    /// `None` means the token does not reach there at all: the caller counts as anonymous.
    fn ceiling(&self, kind: RepoType, ns: &str, repo: Option<&str>) -> Option<Access> {
        if self.session && self.user.is_some() {
            return Some(Access::Admin);
        }
        let t = self.token.as_ref()?;
        let Some(scopes) = &t.scopes else {
            return Some(match t.role {
                TokenRole::Write => Access::Admin,
                TokenRole::Read => Access::Read,
            });
        };
        let full = repo.map(|r| format!("{ns}/{r}"));
        let repo_scope = match kind {
            RepoType::Model => ScopeKind::Model,
            RepoType::Dataset => ScopeKind::Dataset,
        };
        scopes
            .iter()
            .filter(|s| match s.kind {
                ScopeKind::User | ScopeKind::Org => s.name.eq_ignore_ascii_case(ns),
                k => {
                    k == repo_scope
                        && full
                            .as_ref()
                            .is_some_and(|f| s.name.eq_ignore_ascii_case(f))
                }
            })
            .flat_map(|s| s.permissions.iter())
            .map(|p| match p {
                Permission::Read => Access::Read,
                Permission::Contribute => Access::Contribute,
                Permission::Write => Access::Admin,
            })
            .max()
    }

    /// The user, if the token reaches the repository at all.
    pub fn user_for(&self, repo: &Repo) -> Option<&Account> {
        self.ceiling(repo.kind, &repo.namespace, Some(&repo.name))?;
        self.user.as_ref()
    }
}

fn read_only() -> ApiError {
    ApiError::forbidden("This token is read-only: use a token with write access.")
}

/// The user's own standing with `repo`, before any token limit: owner, site admin or role in the
/// owning organisation.
pub async fn standing(state: &AppState, user: &Account, repo: &Repo) -> ApiResult<Access> {
    if user.is_admin || repo.owner_id == user.id {
        return Ok(Access::Admin);
    }
    Ok(match state.meta.role_in(repo.owner_id, user.id).await? {
        Some(Role::Admin) => Access::Admin,
        Some(Role::Write) => Access::Write,
        Some(Role::Contributor) => Access::Contribute,
        Some(Role::Read) => Access::Read,
        None => Access::None,
    })
}

/// What `caller` may do with `repo`: the user's standing, never more than the token allows.
/// On a public repository anyone may read, and any user may open pull requests (on a gated one,
/// once their access request was accepted).
pub async fn access(state: &AppState, caller: &Caller, repo: &Repo) -> ApiResult<Access> {
    let anyone = if repo.private {
        Access::None
    } else {
        Access::Read
    };
    let (Some(user), Some(ceiling)) = (
        &caller.user,
        caller.ceiling(repo.kind, &repo.namespace, Some(&repo.name)),
    ) else {
        return Ok(anyone);
    };
    let own = standing(state, user, repo).await?;
    let users = if repo.private {
        Access::None
    } else if repo.gated.is_some() && own == Access::None && !approved(state, repo, user).await? {
        Access::Read
    } else {
        Access::Contribute
    };
    Ok(own.max(users).min(ceiling).max(anyone))
}

/// Whether the user's request for the gated repository was accepted.
pub async fn approved(state: &AppState, repo: &Repo, user: &Account) -> ApiResult<bool> {
    Ok(state
        .meta
        .access_request(repo.id, user.id)
        .await?
        .is_some_and(|r| r.status == agora_storage::model::RequestStatus::Accepted))
}

/// Finds a repository the caller may at least read, following the old names of moved ones.
/// Missing and unreadable are the same answer.
pub async fn find_repo(
    state: &AppState,
    caller: &Caller,
    kind: RepoType,
    ns: &str,
    name: &str,
) -> ApiResult<(Repo, Access)> {
    let full = format!("{ns}/{name}");
    if full.len() > 200 {
        return Err(ApiError::repo_not_found());
    }
    let repo = match state.meta.repo_by_name(kind, &full).await? {
        Some(r) => r,
        None => state
            .meta
            .redirect(kind, &full)
            .await?
            .ok_or_else(ApiError::repo_not_found)?,
    };
    let a = access(state, caller, &repo).await?;
    if a == Access::None {
        return Err(ApiError::repo_not_found());
    }
    Ok((repo, a))
}

/// Finds a repository and requires `need` on it.
pub async fn find_repo_for(
    state: &AppState,
    caller: &Caller,
    kind: RepoType,
    ns: &str,
    name: &str,
    need: Access,
) -> ApiResult<Repo> {
    let (repo, a) = find_repo(state, caller, kind, ns, name).await?;
    require(caller, &repo, a, need)?;
    Ok(repo)
}

/// Refuses `caller`, whose access to `repo` is `a`, anything that needs more than that.
pub fn require(caller: &Caller, repo: &Repo, a: Access, need: Access) -> ApiResult<()> {
    if a >= need {
        return Ok(());
    }
    if caller.user.is_none() {
        return Err(ApiError::unauthorized(
            "You must be authenticated to do this. Pass a token.",
        ));
    }
    if caller
        .token
        .as_ref()
        .is_some_and(|t| t.role == TokenRole::Read && t.scopes.is_none())
    {
        return Err(read_only());
    }
    Err(ApiError::forbidden(format!(
        "You don't have the rights to change {}",
        repo.full_name()
    )))
}

/// [`find_repo_for`] with a route's `{kind}` segment (`models`, `datasets`).
pub async fn route_repo(
    state: &AppState,
    caller: &Caller,
    kind: &str,
    ns: &str,
    name: &str,
    need: Access,
) -> ApiResult<Repo> {
    find_repo_for(state, caller, crate::repo_type(kind)?, ns, name, need).await
}

/// The account of namespace `ns`, if the caller may create repositories in it.
pub async fn writable_namespace(state: &AppState, caller: &Caller, ns: &str) -> ApiResult<Account> {
    let user = caller.require_user()?;
    let denied = || {
        ApiError::forbidden(format!(
            "You don't have the rights to create a repository under the namespace {ns:?}"
        ))
    };
    if caller.ceiling(RepoType::Model, ns, None) < Some(Access::Write) {
        return Err(match &caller.token {
            Some(t) if t.scopes.is_none() => read_only(),
            _ => denied(),
        });
    }
    let account = state.meta.account_by_name(ns).await?.ok_or_else(denied)?;
    let ok = user.is_admin
        || account.id == user.id
        || (account.kind == AccountKind::Org
            && state
                .meta
                .role_in(account.id, user.id)
                .await?
                .is_some_and(|r| r >= Role::Write));
    if ok { Ok(account) } else { Err(denied()) }
}
