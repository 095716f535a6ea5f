//! The audit log: an append-only record of access decisions, reads of gated content, settings,
//! membership and token changes. Owners read their part of it, as JSON pages or as JSON lines.

use agora_storage::model::{AccountKind, AuditEvent, AuditScope, Id, Repo, Role};
use axum::{
    Json,
    extract::{Path, RawQuery, State},
    http::header,
    response::{IntoResponse, Response},
};
use serde_json::{Value, json};

use crate::{
    AppState, BaseUrl,
    auth::{Access, Caller, route_repo},
    error::{ApiError, ApiResult},
    gating::{next_link, page_query},
};

/// Appends one event. `owner` is the account the event belongs to when there is no repository
/// (a membership or token change).
pub async fn record(
    state: &AppState,
    caller: &Caller,
    action: &str,
    repo: Option<&Repo>,
    owner: Option<Id>,
    detail: Value,
) -> ApiResult<()> {
    let e = AuditEvent {
        id: 0,
        at: agora_storage::now_ms(),
        action: action.to_owned(),
        actor_id: caller.user.as_ref().map(|u| u.id),
        actor: caller.user.as_ref().map(|u| u.name.clone()),
        token_id: caller.token.as_ref().map(|t| t.id),
        address: caller.address.map(|a| a.to_string()),
        owner_id: owner.or(repo.map(|r| r.owner_id)),
        repo_id: repo.map(|r| r.id),
        repo: repo.map(|r| format!("{}:{}", r.kind.as_str(), r.full_name())),
        detail: detail.to_string(),
    };
    tracing::info!(action, actor = ?e.actor, repo = ?e.repo, detail = %e.detail, "audit");
    state.meta.append_audit(&e).await?;
    Ok(())
}

pub fn event_json(e: &AuditEvent) -> Value {
    json!({
        "id": e.id,
        "at": agora_storage::format_ms(e.at),
        "action": e.action,
        "actor": e.actor,
        "tokenId": e.token_id,
        "address": e.address,
        "repo": e.repo,
        "detail": serde_json::from_str::<Value>(&e.detail).unwrap_or(Value::Null),
    })
}

fn wants_lines(q: Option<&str>) -> bool {
    url::form_urlencoded::parse(q.unwrap_or("").as_bytes())
        .any(|(k, v)| k == "format" && (v == "jsonl" || v == "ndjson"))
}

/// One page as a JSON array with a `Link` to the next, or with `format=jsonl` the whole log
/// from the cursor on as JSON lines.
async fn answer(
    state: &AppState,
    scope: AuditScope,
    base: &str,
    path: &str,
    q: Option<&str>,
) -> ApiResult<Response> {
    let (mut cursor, limit) = page_query(q)?;
    if wants_lines(q) {
        let mut out = String::new();
        loop {
            let page = state.meta.audit(scope, cursor, 1000).await?;
            for e in &page {
                out.push_str(&event_json(e).to_string());
                out.push('\n');
            }
            match page.last() {
                Some(e) if page.len() == 1000 => cursor = e.id,
                _ => break,
            }
        }
        return Ok(([(header::CONTENT_TYPE, "application/x-ndjson")], out).into_response());
    }
    let page = state.meta.audit(scope, cursor, limit).await?;
    let items: Vec<Value> = page.iter().map(event_json).collect();
    let mut resp = Json(Value::Array(items)).into_response();
    if let Some(l) = next_link(
        base,
        path,
        page.last().map(|e| e.id),
        limit,
        page.len() as i64 == limit,
    ) {
        resp.headers_mut().insert(header::LINK, l);
    }
    Ok(resp)
}

/// `GET /api/{kind}/{ns}/{name}/audit`: the repository's events, for its admins.
pub async fn repo_log(
    State(state): State<AppState>,
    caller: Caller,
    BaseUrl(base): BaseUrl,
    Path((kind, ns, name)): Path<(String, String, String)>,
    RawQuery(q): RawQuery,
) -> ApiResult<Response> {
    let repo = route_repo(&state, &caller, &kind, &ns, &name, Access::Admin).await?;
    let path = format!("/api/{kind}/{}/audit", repo.full_name());
    answer(
        &state,
        AuditScope::Repo(repo.id),
        &base,
        &path,
        q.as_deref(),
    )
    .await
}

/// `GET /api/organizations/{name}/audit`: everything in an organisation, for its admins.
pub async fn org_log(
    state: State<AppState>,
    caller: Caller,
    base: BaseUrl,
    name: Path<String>,
    q: RawQuery,
) -> ApiResult<Response> {
    account_log(state, caller, base, "organizations", name, q).await
}

/// `GET /api/users/{name}/audit`: everything in a user's namespace, for that user.
pub async fn user_log(
    state: State<AppState>,
    caller: Caller,
    base: BaseUrl,
    name: Path<String>,
    q: RawQuery,
) -> ApiResult<Response> {
    account_log(state, caller, base, "users", name, q).await
}

async fn account_log(
    State(state): State<AppState>,
    caller: Caller,
    BaseUrl(base): BaseUrl,
    kind: &str,
    Path(name): Path<String>,
    RawQuery(q): RawQuery,
) -> ApiResult<Response> {
    let user = caller.require_writer()?;
    let missing = || ApiError::not_found(format!("No account named {name:?} that you administer"));
    let account = state
        .meta
        .account_by_name(&name)
        .await?
        .ok_or_else(missing)?;
    let allowed = user.is_admin
        || match (kind, account.kind) {
            ("users", AccountKind::User) => account.id == user.id,
            ("organizations", AccountKind::Org) => {
                state.meta.role_in(account.id, user.id).await? == Some(Role::Admin)
            }
            _ => false,
        };
    if !allowed {
        return Err(missing());
    }
    let path = format!("/api/{kind}/{}/audit", account.name);
    answer(
        &state,
        AuditScope::Owner(account.id),
        &base,
        &path,
        q.as_deref(),
    )
    .await
}
