//! Refs and history: `refs`, `commits`, branches and tags.

use agora_repo::engine::{check_ref_name, is_pr_ref};
use axum::{
    Json,
    extract::{Path, RawQuery, State},
    http::{HeaderMap, HeaderValue, header},
    response::{IntoResponse, Response},
};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::{
    AppState, BaseUrl,
    auth::{Access, Caller, find_repo, route_repo},
    error::{ApiError, ApiResult},
    quote, repo_type,
};

type RepoPath = Path<(String, String, String)>;
type RepoRevPath = Path<(String, String, String, String)>;

pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Path((kind, ns, name)): RepoPath,
    RawQuery(q): RawQuery,
) -> ApiResult<Json<Value>> {
    let (repo, _) = find_repo(&state, &caller, repo_type(&kind)?, &ns, &name).await?;
    let include_prs = url::form_urlencoded::parse(q.unwrap_or_default().as_bytes())
        .any(|(k, v)| k == "include_prs" && matches!(v.as_ref(), "1" | "true" | "True"));
    let (mut branches, mut tags, mut prs) = (Vec::new(), Vec::new(), Vec::new());
    for r in state.engine.refs(repo.id).await? {
        if let Some(n) = r.name.strip_prefix("refs/heads/") {
            branches.push(json!({"name": n, "ref": r.name, "targetCommit": r.target}));
        } else if let Some(n) = r.name.strip_prefix("refs/tags/") {
            tags.push(json!({"name": n, "ref": r.name, "targetCommit": r.target}));
        } else if let Some(n) = r.name.strip_prefix("refs/pr/") {
            prs.push(json!({"name": n, "ref": r.name, "targetCommit": r.target}));
        }
    }
    let mut out = json!({"branches": branches, "converts": [], "tags": tags});
    if include_prs {
        out["pullRequests"] = json!(prs);
    }
    Ok(Json(out))
}

const COMMITS_PAGE: usize = 50;

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

pub async fn commits(
    State(state): State<AppState>,
    caller: Caller,
    BaseUrl(base): BaseUrl,
    Path((kind, ns, name, rev)): RepoRevPath,
    RawQuery(q): RawQuery,
) -> ApiResult<Response> {
    let kind = repo_type(&kind)?;
    let (repo, _) = find_repo(&state, &caller, kind, &ns, &name).await?;
    let revision = state.engine.resolve(&repo, &rev).await?;
    let (mut page, mut limit, mut formatted) = (0usize, COMMITS_PAGE, false);
    for (k, v) in url::form_urlencoded::parse(q.unwrap_or_default().as_bytes()) {
        match k.as_ref() {
            "p" => {
                page = v
                    .parse()
                    .map_err(|_| ApiError::bad_request("p must be a page number"))?
            }
            "limit" => {
                limit = v
                    .parse::<usize>()
                    .map_err(|_| ApiError::bad_request("limit must be a number"))?
                    .clamp(1, 1000)
            }
            "expand[]" | "expand" if v == "formatted" => formatted = true,
            _ => {}
        }
    }
    let skip = page
        .checked_mul(limit)
        .ok_or_else(|| ApiError::bad_request("page out of range"))?;
    let (rows, more) = state
        .engine
        .history(repo.id, &revision.commit, skip, limit)
        .await?;
    let items: Vec<Value> = rows
        .iter()
        .map(|c| {
            let mut v = json!({
                "id": c.sha,
                "title": c.title,
                "message": c.message,
                "authors": [{"user": c.author}],
                "date": agora_storage::format_ms(c.date),
            });
            if formatted {
                v["formatted"] =
                    json!({"title": html_escape(&c.title), "message": html_escape(&c.message)});
            }
            v
        })
        .collect();
    let mut headers = HeaderMap::new();
    if more {
        let fmt = if formatted {
            "&expand%5B%5D=formatted"
        } else {
            ""
        };
        let link = format!(
            "<{base}/api/{}/{}/commits/{}?p={}&limit={limit}{fmt}>; rel=\"next\"",
            kind.plural(),
            repo.full_name(),
            quote(&rev),
            page + 1
        );
        headers.insert(
            header::LINK,
            HeaderValue::from_str(&link).map_err(ApiError::internal)?,
        );
    }
    Ok((headers, Json(items)).into_response())
}

#[derive(Deserialize, Default)]
pub struct BranchBody {
    #[serde(rename = "startingPoint")]
    starting_point: Option<String>,
    #[serde(default)]
    overwrite: bool,
}

fn branch_name(branch: &str) -> ApiResult<String> {
    let name = branch.strip_prefix("refs/heads/").unwrap_or(branch);
    if name.starts_with("refs/") || is_pr_ref(name) {
        return Err(ApiError::bad_request("Invalid reference for a branch"));
    }
    check_ref_name(name)?;
    Ok(name.to_owned())
}

pub async fn create_branch(
    State(state): State<AppState>,
    caller: Caller,
    Path((kind, ns, name, branch)): RepoRevPath,
    body: Option<crate::error::Json<BranchBody>>,
) -> ApiResult<Json<Value>> {
    let repo = route_repo(&state, &caller, &kind, &ns, &name, Access::Write).await?;
    let branch = branch_name(&branch)?;
    let body = body.map(|b| b.0).unwrap_or_default();
    let start = body
        .starting_point
        .unwrap_or_else(|| agora_repo::DEFAULT_BRANCH.to_owned());
    let target = state.engine.resolve(&repo, &start).await?.commit;
    let ref_name = format!("refs/heads/{branch}");
    let existing = state.meta.get_ref(repo.id, &ref_name).await?;
    let moved = match existing {
        Some(r) if body.overwrite => {
            state
                .engine
                .set_ref(&repo, &ref_name, Some(r.target), &target)
                .await?
        }
        Some(_) => false,
        None => {
            state
                .engine
                .set_ref(&repo, &ref_name, None, &target)
                .await?
        }
    };
    if !moved {
        return Err(ApiError::conflict(format!(
            "Reference {ref_name} already exists"
        )));
    }
    Ok(Json(json!({})))
}

pub async fn delete_branch(
    State(state): State<AppState>,
    caller: Caller,
    Path((kind, ns, name, branch)): RepoRevPath,
) -> ApiResult<Json<Value>> {
    let repo = route_repo(&state, &caller, &kind, &ns, &name, Access::Write).await?;
    let branch = branch_name(&branch)?;
    let ref_name = format!("refs/heads/{branch}");
    if branch == agora_repo::DEFAULT_BRANCH {
        return Err(ApiError::forbidden(format!("Cannot delete {ref_name}")));
    }
    delete_ref(&state, repo.id, &ref_name, &branch).await
}

#[derive(Deserialize)]
pub struct TagBody {
    tag: String,
    #[allow(dead_code)]
    message: Option<String>,
}

pub async fn create_tag(
    State(state): State<AppState>,
    caller: Caller,
    Path((kind, ns, name, rev)): RepoRevPath,
    crate::error::Json(body): crate::error::Json<TagBody>,
) -> ApiResult<Json<Value>> {
    let repo = route_repo(&state, &caller, &kind, &ns, &name, Access::Write).await?;
    let tag = body.tag.strip_prefix("refs/tags/").unwrap_or(&body.tag);
    check_ref_name(tag)?;
    let target = state.engine.resolve(&repo, &rev).await?.commit;
    let ref_name = format!("refs/tags/{tag}");
    if !state
        .engine
        .set_ref(&repo, &ref_name, None, &target)
        .await?
    {
        return Err(ApiError::conflict(format!("Tag {tag} already exists")));
    }
    Ok(Json(json!({})))
}

pub async fn delete_tag(
    State(state): State<AppState>,
    caller: Caller,
    Path((kind, ns, name, tag)): RepoRevPath,
) -> ApiResult<Json<Value>> {
    let repo = route_repo(&state, &caller, &kind, &ns, &name, Access::Write).await?;
    let tag = tag.strip_prefix("refs/tags/").unwrap_or(&tag).to_owned();
    let ref_name = format!("refs/tags/{tag}");
    delete_ref(&state, repo.id, &ref_name, &tag).await
}

/// Deletes a branch or tag, unless it moved meanwhile; `shown` names it in errors.
async fn delete_ref(
    state: &AppState,
    repo: agora_storage::model::Id,
    ref_name: &str,
    shown: &str,
) -> ApiResult<Json<Value>> {
    let r = state
        .meta
        .get_ref(repo, ref_name)
        .await?
        .ok_or_else(|| ApiError::revision_not_found(shown))?;
    if !state.meta.delete_ref(repo, ref_name, &r.target).await? {
        return Err(ApiError::conflict(format!(
            "{ref_name} moved while being deleted; try again"
        )));
    }
    Ok(Json(json!({})))
}
