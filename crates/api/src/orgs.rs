//! Organisations: creation and membership with roles (read, contributor, write, admin).

use agora_repo::path::check_account_name;
use agora_storage::model::{Account, AccountKind, Role};
use axum::{
    Json,
    extract::{Path, State},
};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::{
    AppState, audit,
    auth::Caller,
    error::{ApiError, ApiResult},
};

async fn org_named(state: &AppState, name: &str) -> ApiResult<Account> {
    state
        .meta
        .account_by_name(name)
        .await?
        .filter(|a| a.kind == AccountKind::Org)
        .ok_or_else(|| ApiError::not_found(format!("No organisation named {name:?}")))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewOrg {
    name: String,
    #[serde(default)]
    fullname: Option<String>,
}

/// `POST /api/organizations/new`: the caller becomes its admin.
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    crate::error::Json(body): crate::error::Json<NewOrg>,
) -> ApiResult<Json<Value>> {
    let user = caller.require_writer()?.clone();
    check_account_name(&body.name)?;
    let fullname = body.fullname.as_deref().unwrap_or(&body.name);
    if fullname.chars().count() > 200 || fullname.chars().any(char::is_control) {
        return Err(ApiError::bad_request(
            "fullname is at most 200 printable characters",
        ));
    }
    let org = state
        .meta
        .create_account(&body.name, AccountKind::Org, fullname, None, false)
        .await?;
    state
        .meta
        .set_member(org.id, user.id, Some(Role::Admin))
        .await?;
    audit::record(
        &state,
        &caller,
        "org.create",
        None,
        Some(org.id),
        json!({"org": org.name}),
    )
    .await?;
    Ok(Json(json!({"name": org.name, "fullname": org.fullname})))
}

/// `GET /api/organizations/{org}/members`: who is in it; roles show to members only.
pub async fn members(
    State(state): State<AppState>,
    caller: Caller,
    Path(org): Path<String>,
) -> ApiResult<Json<Value>> {
    let org = org_named(&state, &org).await?;
    let members = state.meta.members(org.id).await?;
    let inside = caller
        .user
        .as_ref()
        .is_some_and(|u| u.is_admin || members.iter().any(|(m, _)| m.id == u.id));
    let list = members
        .iter()
        .map(|(a, role)| {
            let mut v = json!({"user": a.name, "fullname": a.fullname, "type": "user",
                               "avatarUrl": "", "isPro": false});
            if inside {
                v["role"] = Value::String(role.as_str().into());
            }
            v
        })
        .collect();
    Ok(Json(Value::Array(list)))
}

/// An org admin (or site admin) acting with a classic write token.
async fn require_org_admin(state: &AppState, caller: &Caller, org: &Account) -> ApiResult<()> {
    let user = caller.require_writer()?;
    if user.is_admin || state.meta.role_in(org.id, user.id).await? == Some(Role::Admin) {
        return Ok(());
    }
    Err(ApiError::forbidden(format!(
        "Only admins of {} manage its members",
        org.name
    )))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleBody {
    role: String,
}

/// `PUT /api/organizations/{org}/members/{user}`: adds a member or changes their role.
pub async fn set_role(
    State(state): State<AppState>,
    caller: Caller,
    Path((org, user)): Path<(String, String)>,
    crate::error::Json(body): crate::error::Json<RoleBody>,
) -> ApiResult<Json<Value>> {
    let org = org_named(&state, &org).await?;
    require_org_admin(&state, &caller, &org).await?;
    let role = Role::parse(&body.role)
        .ok_or_else(|| ApiError::bad_request("role must be read, contributor, write or admin"))?;
    let member = crate::gating::user_named(&state, &user).await?;
    let before = state.meta.role_in(org.id, member.id).await?;
    change(&state, &caller, &org, &member, before, Some(role)).await?;
    Ok(Json(json!({"user": member.name, "role": role.as_str()})))
}

/// `DELETE /api/organizations/{org}/members/{user}`: by an admin, or a member leaving.
pub async fn remove(
    State(state): State<AppState>,
    caller: Caller,
    Path((org, user)): Path<(String, String)>,
) -> ApiResult<Json<Value>> {
    let org = org_named(&state, &org).await?;
    let me = caller.require_writer()?.clone();
    let not_member = || ApiError::not_found(format!("{user:?} is not a member"));
    let member = state
        .meta
        .account_by_name(&user)
        .await?
        .ok_or_else(not_member)?;
    if member.id != me.id {
        require_org_admin(&state, &caller, &org).await?;
    }
    let before = state.meta.role_in(org.id, member.id).await?;
    if before.is_none() {
        return Err(not_member());
    }
    change(&state, &caller, &org, &member, before, None).await?;
    Ok(Json(json!({})))
}

/// Moves `member` from role `from` to `to` (None: out), keeping an admin, and records it.
async fn change(
    state: &AppState,
    caller: &Caller,
    org: &Account,
    member: &Account,
    from: Option<Role>,
    to: Option<Role>,
) -> ApiResult<()> {
    if !state.meta.set_member(org.id, member.id, to).await? {
        return Err(ApiError::conflict(format!(
            "{} would have no admin left",
            org.name
        )));
    }
    let (action, detail) = match to {
        Some(r) => (
            "member.set",
            json!({"user": member.name, "from": from.map(Role::as_str), "to": r.as_str()}),
        ),
        None => (
            "member.remove",
            json!({"user": member.name, "from": from.map(Role::as_str)}),
        ),
    };
    audit::record(state, caller, action, None, Some(org.id), detail).await
}
