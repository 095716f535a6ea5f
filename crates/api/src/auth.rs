//! Who is calling, and what they may do with a repository.

use agora_storage::model::{Account, AccountKind, Repo, RepoType, Role, Token, TokenRole};
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
    /// Signed in on the web pages: acts with the user's own rights, as a write token would.
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

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> ApiResult<Self> {
        let Some(value) = parts.headers.get(axum::http::header::AUTHORIZATION) else {
            return Ok(Caller::default());
        };
        let invalid = || ApiError::unauthorized("Invalid credentials in Authorization header");
        let value = value.to_str().map_err(|_| invalid())?;
        let token = value
            .strip_prefix("Bearer ")
            .or_else(|| value.strip_prefix("bearer "))
            .ok_or_else(invalid)?
            .trim();
        if token.is_empty() || token.len() > 256 {
            return Err(invalid());
        }
        let t = state
            .meta
            .token_by_hash(&hash_token(token))
            .await?
            .ok_or_else(invalid)?;
        let user = state.meta.account(t.user_id).await?.ok_or_else(invalid)?;
        // "Last used" to the minute: not a database write on every request.
        let now = agora_storage::now_ms();
        if t.last_used_at.is_none_or(|at| now - at > 60_000) {
            state.meta.touch_token(t.id, now).await?;
        }
        Ok(Caller {
            user: Some(user),
            token: Some(t),
            session: false,
        })
    }
}

impl Caller {
    /// A user signed in through the web interface (its session and CSRF checks are the web
    /// crate's); access is then decided here like for any caller.
    pub fn web_session(user: Account) -> Self {
        Caller {
            user: Some(user),
            token: None,
            session: true,
        }
    }

    pub fn require_user(&self) -> ApiResult<&Account> {
        self.user.as_ref().ok_or_else(|| {
            ApiError::unauthorized("You must be authenticated to do this. Pass a token.")
        })
    }

    fn token_can_write(&self) -> bool {
        self.session
            || self
                .token
                .as_ref()
                .is_some_and(|t| t.role == TokenRole::Write)
    }

    /// A user with a write token; read tokens cannot change anything.
    pub fn require_writer(&self) -> ApiResult<&Account> {
        let user = self.require_user()?;
        if !self.token_can_write() {
            return Err(ApiError::forbidden(
                "This token is read-only: use a token with write access.",
            ));
        }
        Ok(user)
    }
}

/// What `caller` may do with `repo`.
pub async fn access(state: &AppState, caller: &Caller, repo: &Repo) -> ApiResult<Access> {
    let public = if repo.private {
        Access::None
    } else {
        Access::Read
    };
    let Some(user) = &caller.user else {
        return Ok(public);
    };
    let own = if user.is_admin || repo.owner_id == user.id {
        Access::Admin
    } else {
        match state.meta.role_in(repo.owner_id, user.id).await? {
            Some(Role::Admin) => Access::Admin,
            Some(Role::Write) => Access::Write,
            Some(Role::Contributor) => Access::Contribute,
            Some(Role::Read) => Access::Read,
            None => Access::None,
        }
    };
    let granted = own.max(public);
    Ok(if caller.token_can_write() {
        granted
    } else {
        granted.min(Access::Read)
    })
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
    if a >= need {
        return Ok(repo);
    }
    if caller.user.is_none() {
        return Err(ApiError::unauthorized(
            "You must be authenticated to do this. Pass a token.",
        ));
    }
    if !caller.token_can_write() {
        return Err(ApiError::forbidden(
            "This token is read-only: use a token with write access.",
        ));
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
    let user = caller.require_writer()?;
    let denied = || {
        ApiError::forbidden(format!(
            "You don't have the rights to create a repository under the namespace {ns:?}"
        ))
    };
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
