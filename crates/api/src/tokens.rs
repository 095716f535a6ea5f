//! Access tokens over the API (Agora's own routes; the Hub has none for clients): list, create
//! (classic read or write, or fine-grained with scopes), revoke. The CLI shares [`check_new`].

use agora_storage::model::{Account, NewToken, Permission, Scope, ScopeKind, Token, TokenRole};
use axum::{
    Json,
    extract::{Path, State},
};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::{
    AppState, audit,
    auth::{Caller, hash_token, new_token},
    error::{ApiError, ApiResult},
};

const MAX_SCOPES: usize = 100;
/// Five years: a token meant to outlive that should be a deliberate "never".
const MAX_LIFETIME_SECS: i64 = 5 * 365 * 24 * 3600;

/// What a token request asks for.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenSpec {
    pub name: String,
    /// `read`, `write` or `fineGrained`.
    pub role: String,
    #[serde(default)]
    pub scopes: Option<Vec<Scope>>,
    /// Lifetime in seconds; none: until revoked.
    #[serde(rename = "expiresIn", default)]
    pub expires_in: Option<i64>,
}

/// Checks a token request and returns the row to store (without its hash).
pub fn check_new(user: &Account, spec: &TokenSpec, now_ms: i64) -> ApiResult<NewToken> {
    let name = spec.name.trim();
    if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
        return Err(ApiError::bad_request(
            "A token name is 1 to 100 printable characters",
        ));
    }
    let (role, scopes) = match (spec.role.as_str(), &spec.scopes) {
        ("read", None) => (TokenRole::Read, None),
        ("write", None) => (TokenRole::Write, None),
        ("read" | "write", Some(_)) => {
            return Err(ApiError::bad_request(
                "Scopes are for fine-grained tokens (role fineGrained)",
            ));
        }
        ("fineGrained", Some(s)) if !s.is_empty() && s.len() <= MAX_SCOPES => {
            for scope in s {
                check_scope(scope)?;
            }
            (TokenRole::Write, Some(s.clone()))
        }
        ("fineGrained", _) => {
            return Err(ApiError::bad_request(format!(
                "A fine-grained token needs 1 to {MAX_SCOPES} scopes"
            )));
        }
        (r, _) => {
            return Err(ApiError::bad_request(format!(
                "role must be read, write or fineGrained, not {:?}",
                r.chars().take(40).collect::<String>()
            )));
        }
    };
    let expires_at = match spec.expires_in {
        None => None,
        Some(s) if (1..=MAX_LIFETIME_SECS).contains(&s) => Some(now_ms + s * 1000),
        Some(_) => {
            return Err(ApiError::bad_request(format!(
                "expiresIn is between 1 and {MAX_LIFETIME_SECS} seconds"
            )));
        }
    };
    Ok(NewToken {
        user_id: user.id,
        name: name.to_owned(),
        role,
        hash: String::new(),
        scopes,
        expires_at,
    })
}

/// Scopes name things by syntax only: whether they exist is not checked (that would tell a
/// token's maker which private repositories exist), and a scope never grants more than the
/// owner has anyway.
fn check_scope(s: &Scope) -> ApiResult<()> {
    match s.kind {
        ScopeKind::Model | ScopeKind::Dataset => {
            agora_repo::path::check_repo_id(&s.name)?;
        }
        ScopeKind::User | ScopeKind::Org => agora_repo::path::check_name(&s.name)?,
    }
    if s.permissions.is_empty() {
        return Err(ApiError::bad_request(format!(
            "The scope {} names no permission",
            s.name
        )));
    }
    Ok(())
}

/// Stores a checked token and returns its secret, shown once.
pub async fn issue(state: &crate::Hub, mut t: NewToken) -> ApiResult<(String, Token)> {
    let secret = new_token();
    t.hash = hash_token(&secret);
    let token = state.meta.insert_token(&t).await?;
    Ok((secret, token))
}

pub fn role_name(t: &Token) -> &'static str {
    match (&t.scopes, t.role) {
        (Some(_), _) => "fineGrained",
        (None, r) => r.as_str(),
    }
}

pub fn token_json(t: &Token) -> Value {
    let at = |v: Option<i64>| v.map(agora_storage::format_ms);
    json!({
        "id": t.id.to_string(),
        "name": t.name,
        "role": role_name(t),
        "scopes": t.scopes,
        "createdAt": agora_storage::format_ms(t.created_at),
        "lastUsedAt": at(t.last_used_at),
        "expiresAt": at(t.expires_at),
        "revokedAt": at(t.revoked_at),
        "live": t.live(agora_storage::now_ms()),
    })
}

/// `GET /api/tokens`: the caller's tokens (never their secrets).
pub async fn list(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<Value>> {
    let user = caller.require_user()?;
    let tokens = state.meta.tokens_of(user.id).await?;
    Ok(Json(Value::Array(tokens.iter().map(token_json).collect())))
}

/// `POST /api/tokens`: a new token, only with a classic write token (a read or fine-grained
/// token cannot make itself a wider one).
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    crate::error::Json(spec): crate::error::Json<TokenSpec>,
) -> ApiResult<Json<Value>> {
    let user = caller.require_writer()?.clone();
    let new = check_new(&user, &spec, agora_storage::now_ms())?;
    let (secret, token) = issue(&state, new).await?;
    audit::record(
        &state,
        &caller,
        "token.create",
        None,
        Some(user.id),
        json!({"token": token.id, "name": token.name, "role": role_name(&token), "scopes": token.scopes}),
    )
    .await?;
    let mut body = token_json(&token);
    body["token"] = Value::String(secret);
    Ok(Json(body))
}

/// `DELETE /api/tokens/{id}`: revokes at once. A token may always revoke itself; other tokens
/// need a classic write token.
pub async fn revoke(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let user = caller.require_user()?.clone();
    let missing = || ApiError::not_found("No such live token of yours");
    let id: i64 = id.parse().map_err(|_| missing())?;
    if caller.token.as_ref().map(|t| t.id) != Some(id) {
        caller.require_writer()?;
    }
    if !state
        .meta
        .revoke_token(user.id, id, agora_storage::now_ms())
        .await?
    {
        return Err(missing());
    }
    audit::record(
        &state,
        &caller,
        "token.revoke",
        None,
        Some(user.id),
        json!({"token": id}),
    )
    .await?;
    Ok(Json(json!({})))
}

/// A scope written as `TYPE:NAME:PERMS`, e.g. `model:alice/bert:read,write` (`agora token create
/// --scope` and the tokens web page).
pub fn parse_scope(s: &str) -> ApiResult<Scope> {
    let s = s.trim();
    let bad = || {
        ApiError::bad_request(format!(
            "bad scope {:?}: use TYPE:NAME:PERMS, e.g. model:alice/bert:read,write",
            s.chars().take(100).collect::<String>()
        ))
    };
    let (kind, rest) = s.split_once(':').ok_or_else(bad)?;
    let (name, perms) = rest.rsplit_once(':').ok_or_else(bad)?;
    let kind = match kind {
        "model" => ScopeKind::Model,
        "dataset" => ScopeKind::Dataset,
        "user" => ScopeKind::User,
        "org" => ScopeKind::Org,
        _ => return Err(bad()),
    };
    let permissions = perms
        .split(',')
        .map(|p| match p.trim() {
            "read" => Ok(Permission::Read),
            "contribute" => Ok(Permission::Contribute),
            "write" => Ok(Permission::Write),
            _ => Err(bad()),
        })
        .collect::<ApiResult<Vec<_>>>()?;
    Ok(Scope {
        kind,
        name: name.to_owned(),
        permissions,
    })
}
