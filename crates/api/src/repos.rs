//! Accounts and repositories: whoami, create/delete/move, settings, info and listings.

use agora_repo::{Entry, git::Signature, path::check_name};
use agora_storage::model::{Gated, NewRepo, Repo, RepoQuery, RepoType, SortKey};
use axum::{
    Json,
    extract::{Path, Query, RawQuery, State},
    http::{HeaderMap, HeaderValue, header},
    response::{IntoResponse, Response},
};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::{
    AppState, BaseUrl,
    auth::{Access, Caller, find_repo, find_repo_for, route_repo, writable_namespace},
    error::{ApiError, ApiResult},
    repo_type,
};

pub async fn whoami(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<Value>> {
    let (Some(user), Some(token)) = (&caller.user, &caller.token) else {
        return Err(ApiError::unauthorized("Invalid user token"));
    };
    let orgs: Vec<Value> = state
        .meta
        .memberships(user.id)
        .await?
        .into_iter()
        .map(|m| json!({"type": "org", "name": m.org.name, "fullname": m.org.fullname, "roleInOrg": m.role.as_str()}))
        .collect();
    Ok(Json(json!({
        "type": "user",
        "id": user.id.to_string(),
        "name": user.name,
        "fullname": user.fullname,
        "email": user.email,
        "emailVerified": user.email.is_some(),
        "isPro": false,
        "canPay": false,
        "orgs": orgs,
        "auth": {
            "type": "access_token",
            "accessToken": {
                "displayName": token.name,
                "role": crate::tokens::role_name(token),
                "createdAt": agora_storage::format_ms(token.created_at),
                "expiresAt": token.expires_at.map(agora_storage::format_ms),
                "fineGrained": token.scopes.as_ref().map(|s| json!({
                    "scoped": s.iter().map(|s| json!({
                        "entity": {"type": s.kind, "name": s.name},
                        "permissions": s.permissions,
                    })).collect::<Vec<_>>(),
                    "global": [],
                })),
            }
        }
    })))
}

/// The author line of commits made by a user.
pub fn signature(user: &agora_storage::model::Account) -> Signature {
    Signature {
        name: user.name.clone(),
        email: user
            .email
            .clone()
            .unwrap_or_else(|| format!("{}@users.noreply.agora", user.name)),
        seconds: agora_storage::now_ms() / 1000,
    }
}

fn kind_from_body(t: Option<&str>) -> ApiResult<RepoType> {
    match t.unwrap_or("model") {
        "model" => Ok(RepoType::Model),
        "dataset" => Ok(RepoType::Dataset),
        other => Err(ApiError::bad_request(format!(
            "Repository type {other:?} is not supported: use model or dataset"
        ))),
    }
}

fn repo_url(base: &str, kind: RepoType, full: &str) -> String {
    format!("{base}/{}{full}", kind.url_prefix())
}

#[derive(Deserialize)]
pub struct CreateBody {
    name: String,
    organization: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
    private: Option<bool>,
    visibility: Option<String>,
    // Space settings are accepted and ignored: Spaces are not hosted here.
    #[serde(flatten)]
    _rest: serde_json::Map<String, Value>,
}

pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    BaseUrl(base): BaseUrl,
    crate::error::Json(body): crate::error::Json<CreateBody>,
) -> ApiResult<Response> {
    let user = caller.require_user()?.clone();
    let kind = kind_from_body(body.kind.as_deref())?;
    // `name` may carry the namespace itself ("org/name").
    let (ns, name) = match (&body.organization, body.name.split_once('/')) {
        (_, Some((ns, name))) => (ns.to_owned(), name.to_owned()),
        (Some(org), None) => (org.clone(), body.name.clone()),
        (None, None) => (user.name.clone(), body.name.clone()),
    };
    check_name(&ns)?;
    check_name(&name)?;
    let private = match body.visibility.as_deref() {
        Some("private") | Some("protected") => true,
        Some("public") => false,
        Some(v) => return Err(ApiError::bad_request(format!("Unknown visibility {v:?}"))),
        None => body.private.unwrap_or(false),
    };
    match create_repo(&state, &caller, kind, &ns, &name, private).await? {
        Created::New(repo) => Ok(Json(json!({"url": repo_url(&base, kind, &repo.full_name()), "name": repo.full_name(), "id": repo.id.to_string()}))
            .into_response()),
        Created::Exists(full) => {
            // The client, told `exist_ok`, reads the repository's URL from this body.
            let url = repo_url(&base, kind, &full);
            let mut res = (
                axum::http::StatusCode::CONFLICT,
                Json(json!({"error": format!("You already created this {} repo", kind.as_str()), "url": url})),
            )
                .into_response();
            res.headers_mut().insert(
                "x-error-message",
                HeaderValue::from_static("You already created this repo"),
            );
            Ok(res)
        }
    }
}

/// What [`create_repo`] did.
pub enum Created {
    New(Repo),
    /// The name was taken; its full name as the caller spelled the namespace's owner.
    Exists(String),
}

/// Creates a repository in namespace `ns` (names already checked) if the caller may; the API
/// and the web pages both create through here.
pub async fn create_repo(
    state: &AppState,
    caller: &Caller,
    kind: RepoType,
    ns: &str,
    name: &str,
    private: bool,
) -> ApiResult<Created> {
    let user = caller.require_user()?.clone();
    let owner = writable_namespace(state, caller, ns).await?;
    let full = format!("{}/{name}", owner.name);
    let new = NewRepo {
        kind,
        owner_id: owner.id,
        namespace: owner.name.clone(),
        name: name.to_owned(),
        private,
    };
    match state.engine.create_repo(&new, signature(&user)).await {
        Ok(repo) => {
            if let Some(head) = repo
                .head
                .as_deref()
                .and_then(agora_repo::git::ObjectId::parse)
            {
                crate::scanning::ensure_scanned(state, &head).await?;
                crate::scanning::summarize_head(state, repo.id, &head).await?;
            }
            crate::audit::record(
                state,
                caller,
                "repo.create",
                Some(&repo),
                None,
                json!({"private": private}),
            )
            .await?;
            tracing::info!(repo = %full, kind = kind.as_str(), private, "repository created");
            Ok(Created::New(repo))
        }
        Err(agora_repo::Error::Conflict(_)) => Ok(Created::Exists(full)),
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct DeleteBody {
    name: String,
    organization: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
}

pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    crate::error::Json(body): crate::error::Json<DeleteBody>,
) -> ApiResult<Json<Value>> {
    let user = caller.require_user()?;
    let kind = kind_from_body(body.kind.as_deref())?;
    let full = match (&body.organization, body.name.contains('/')) {
        (_, true) => body.name.clone(),
        (Some(org), false) => format!("{org}/{}", body.name),
        (None, false) => format!("{}/{}", user.name, body.name),
    };
    let (ns, name) = full.split_once('/').ok_or_else(ApiError::repo_not_found)?;
    let repo = find_repo_for(&state, &caller, kind, ns, name, Access::Admin).await?;
    state.meta.delete_repo(repo.id).await?;
    crate::audit::record(&state, &caller, "repo.delete", Some(&repo), None, json!({})).await?;
    Ok(Json(json!({})))
}

#[derive(Deserialize)]
pub struct MoveBody {
    #[serde(rename = "fromRepo")]
    from: String,
    #[serde(rename = "toRepo")]
    to: String,
    #[serde(rename = "type")]
    kind: Option<String>,
}

pub async fn move_repo(
    State(state): State<AppState>,
    caller: Caller,
    crate::error::Json(body): crate::error::Json<MoveBody>,
) -> ApiResult<Json<Value>> {
    let kind = kind_from_body(body.kind.as_deref())?;
    let (from_ns, from_name) = body
        .from
        .split_once('/')
        .ok_or_else(ApiError::repo_not_found)?;
    let repo = find_repo_for(&state, &caller, kind, from_ns, from_name, Access::Admin).await?;
    let (to_ns, to_name) = agora_repo::path::check_repo_id(&body.to)?;
    let owner = writable_namespace(&state, &caller, to_ns).await?;
    let exists = state.meta.repo_by_name(kind, &body.to).await?;
    if exists.is_some_and(|r| r.id != repo.id) {
        return Err(ApiError::conflict(format!(
            "A {} repository called {} already exists",
            kind.as_str(),
            body.to
        )));
    }
    match state
        .meta
        .move_repo(repo.id, owner.id, &owner.name, to_name)
        .await
    {
        Ok(()) => {}
        Err(agora_storage::Error::Conflict(_)) => {
            return Err(ApiError::conflict(format!(
                "A {} repository called {} already exists",
                kind.as_str(),
                body.to
            )));
        }
        Err(e) => return Err(e.into()),
    }
    crate::audit::record(
        &state,
        &caller,
        "repo.move",
        Some(&repo),
        None,
        json!({"from": body.from, "to": body.to}),
    )
    .await?;
    Ok(Json(json!({})))
}

#[derive(Deserialize)]
pub struct SettingsBody {
    gated: Option<Value>,
    private: Option<bool>,
    visibility: Option<String>,
    /// Agora: what an unsafe file does to its commit, `reject` (default) or `flag`.
    #[serde(rename = "scanPolicy")]
    scan_policy: Option<String>,
    #[serde(flatten)]
    _rest: serde_json::Map<String, Value>,
}

pub async fn settings(
    State(state): State<AppState>,
    caller: Caller,
    Path((kind, ns, name)): Path<(String, String, String)>,
    crate::error::Json(body): crate::error::Json<SettingsBody>,
) -> ApiResult<Json<Value>> {
    let repo = route_repo(&state, &caller, &kind, &ns, &name, Access::Admin).await?;
    let gated = match &body.gated {
        None => None,
        Some(Value::Bool(false)) => Some(None),
        Some(Value::String(s)) => Some(Some(Gated::parse(s).ok_or_else(|| {
            ApiError::bad_request(format!("gated must be auto, manual or false, not {s:?}"))
        })?)),
        Some(v) => {
            return Err(ApiError::bad_request(format!(
                "gated must be auto, manual or false, not {v}"
            )));
        }
    };
    let private = match body.visibility.as_deref() {
        Some("private") | Some("protected") => Some(true),
        Some("public") => Some(false),
        Some(v) => return Err(ApiError::bad_request(format!("Unknown visibility {v:?}"))),
        None => body.private,
    };
    let flag_only = match body.scan_policy.as_deref() {
        None => None,
        Some("reject") => Some(false),
        Some("flag") => Some(true),
        Some(v) => {
            return Err(ApiError::bad_request(format!(
                "scanPolicy must be reject or flag, not {v:?}"
            )));
        }
    };
    if let Some(g) = gated {
        state.meta.set_gated(repo.id, g).await?;
    }
    if let Some(f) = flag_only {
        state.meta.set_scan_policy(repo.id, f).await?;
    }
    if let Some(p) = private {
        state.meta.set_private(repo.id, p).await?;
    }
    let mut changed = serde_json::Map::new();
    if let Some(g) = gated {
        changed.insert(
            "gated".into(),
            json!({"from": gated_json(&repo), "to": g.map(Gated::as_str)}),
        );
    }
    if let Some(p) = private {
        changed.insert("private".into(), json!({"from": repo.private, "to": p}));
    }
    if let Some(f) = flag_only {
        changed.insert(
            "scanFlagOnly".into(),
            json!({"from": repo.scan_flag_only, "to": f}),
        );
    }
    if !changed.is_empty() {
        crate::audit::record(
            &state,
            &caller,
            "settings.change",
            Some(&repo),
            None,
            changed.into(),
        )
        .await?;
    }
    Ok(Json(json!({})))
}

/// Whether the caller may read the repository's files: gated ones answer `GatedRepo` until the
/// caller was let in, as on the Hub.
pub async fn auth_check(
    State(state): State<AppState>,
    caller: Caller,
    BaseUrl(base): BaseUrl,
    Path((kind, ns, name)): Path<(String, String, String)>,
) -> ApiResult<Json<Value>> {
    let (repo, _) = find_repo(&state, &caller, repo_type(&kind)?, &ns, &name).await?;
    crate::gating::check_content(&state, &caller, &repo, &base, "").await?;
    Ok(Json(json!({})))
}

pub async fn auth_check_write(
    State(state): State<AppState>,
    caller: Caller,
    Path((kind, ns, name)): Path<(String, String, String)>,
) -> ApiResult<Json<Value>> {
    route_repo(&state, &caller, &kind, &ns, &name, Access::Write).await?;
    Ok(Json(json!({})))
}

pub async fn no_namespace(Path((kind, _name)): Path<(String, String)>) -> ApiResult<Json<Value>> {
    repo_type(&kind)?;
    Err(ApiError::repo_not_found())
}

#[derive(Deserialize, Default)]
pub struct InfoQuery {
    blobs: Option<String>,
    #[serde(rename = "securityStatus")]
    security_status: Option<String>,
}

fn truthy(v: Option<&str>) -> bool {
    v.is_some_and(|v| matches!(v.to_ascii_lowercase().as_str(), "1" | "true" | "yes"))
}

pub async fn info(
    State(state): State<AppState>,
    caller: Caller,
    Path((kind, ns, name)): Path<(String, String, String)>,
    Query(q): Query<InfoQuery>,
) -> ApiResult<Json<Value>> {
    let (repo, _) = find_repo(&state, &caller, repo_type(&kind)?, &ns, &name).await?;
    let rev = agora_repo::DEFAULT_BRANCH.to_owned();
    repo_info(&state, &repo, &rev, &q).await.map(Json)
}

pub async fn info_at(
    State(state): State<AppState>,
    caller: Caller,
    Path((kind, ns, name, rev)): Path<(String, String, String, String)>,
    Query(q): Query<InfoQuery>,
) -> ApiResult<Json<Value>> {
    let (repo, _) = find_repo(&state, &caller, repo_type(&kind)?, &ns, &name).await?;
    repo_info(&state, &repo, &rev, &q).await.map(Json)
}

fn gated_json(repo: &Repo) -> Value {
    match repo.gated {
        Some(g) => Value::String(g.as_str().into()),
        None => Value::Bool(false),
    }
}

/// The fields every listing and info response shares.
fn summary_json(repo: &Repo) -> serde_json::Map<String, Value> {
    let card: Option<Value> = repo
        .card_data
        .as_deref()
        .and_then(|c| serde_json::from_str(c).ok());
    let mut m = serde_json::Map::new();
    m.insert("_id".into(), json!(repo.id.to_string()));
    m.insert("id".into(), json!(repo.full_name()));
    m.insert("author".into(), json!(repo.namespace));
    m.insert("private".into(), json!(repo.private));
    m.insert("gated".into(), gated_json(repo));
    m.insert("disabled".into(), json!(false));
    m.insert("downloads".into(), json!(repo.downloads));
    m.insert("likes".into(), json!(repo.likes));
    m.insert("tags".into(), json!(repo.tags));
    m.insert(
        "lastModified".into(),
        json!(agora_storage::format_ms(repo.last_modified)),
    );
    m.insert(
        "createdAt".into(),
        json!(agora_storage::format_ms(repo.created_at)),
    );
    if let Some(sha) = &repo.head {
        m.insert("sha".into(), json!(sha));
    }
    if repo.kind == RepoType::Model
        && let Some(card) = &card
    {
        for (key, out) in [
            ("library_name", "library_name"),
            ("pipeline_tag", "pipeline_tag"),
        ] {
            if let Some(v) = card.get(key).filter(|v| v.is_string()) {
                m.insert(out.into(), v.clone());
            }
        }
    }
    m
}

fn siblings(entries: &[Entry], blobs: bool) -> Vec<Value> {
    entries
        .iter()
        .filter_map(|e| match e {
            Entry::File(f) => {
                let mut s = json!({"rfilename": f.path});
                if blobs {
                    s["size"] = json!(f.size);
                    s["blobId"] = json!(f.oid.hex());
                    if let Some(p) = &f.lfs {
                        s["lfs"] =
                            json!({"size": p.size, "sha256": p.oid, "pointerSize": f.blob_size});
                    }
                }
                Some(s)
            }
            Entry::Dir { .. } => None,
        })
        .collect()
}

async fn repo_info(state: &AppState, repo: &Repo, rev: &str, q: &InfoQuery) -> ApiResult<Value> {
    let blobs = truthy(q.blobs.as_deref());
    let revision = state.engine.resolve(repo, rev).await?;
    let commit = state.engine.commit_object(&revision.commit).await?;
    let (card, tags) = state.engine.card(repo, &revision.commit).await?;
    let files = state.engine.list(&revision.commit, "", true).await?;
    let mut m = summary_json(repo);
    m.insert("sha".into(), json!(revision.commit.hex()));
    m.insert("tags".into(), json!(tags));
    m.insert(
        "lastModified".into(),
        json!(agora_storage::format_ms(commit.committer.seconds * 1000)),
    );
    m.remove("library_name");
    m.remove("pipeline_tag");
    if let Some(card) = card {
        if repo.kind == RepoType::Model {
            for key in ["library_name", "pipeline_tag"] {
                if let Some(v) = card.get(key).filter(|v| v.is_string()) {
                    m.insert(key.into(), v.clone());
                }
            }
        }
        m.insert("cardData".into(), Value::Object(card));
    }
    m.insert("siblings".into(), json!(siblings(&files, blobs)));
    m.insert(
        "openness".into(),
        crate::openness::summary(state, repo, &revision.commit).await?,
    );
    if truthy(q.security_status.as_deref()) {
        let list: Vec<&agora_repo::FileEntry> = files.iter().filter_map(Entry::file).collect();
        m.insert(
            "securityRepoStatus".into(),
            crate::scanning::repo_status(state, &list).await?,
        );
    }
    let used: u64 = files
        .iter()
        .map(|e| if let Entry::File(f) = e { f.size } else { 0 })
        .sum();
    m.insert("usedStorage".into(), json!(used));
    Ok(Value::Object(m))
}

/// Query of `list_models` / `list_datasets`. Values may repeat (`filter`), so it is parsed by hand.
struct ListQuery {
    search: Option<String>,
    author: Option<String>,
    filters: Vec<String>,
    grades: Vec<(agora_storage::model::GradeField, String)>,
    sort: SortKey,
    descending: bool,
    limit: Option<i64>,
    offset: i64,
    full: bool,
    card_data: bool,
    raw: Vec<(String, String)>,
}

const PAGE: i64 = 1000;

fn parse_list_query(raw: Option<&str>) -> ApiResult<ListQuery> {
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(raw.unwrap_or("").as_bytes())
        .into_owned()
        .collect();
    let mut q = ListQuery {
        search: None,
        author: None,
        filters: Vec::new(),
        grades: Vec::new(),
        sort: SortKey::LastModified,
        descending: true,
        limit: None,
        offset: 0,
        full: false,
        card_data: false,
        raw: Vec::new(),
    };
    for (k, v) in &pairs {
        match k.as_str() {
            "search" | "dataset_name" if !v.is_empty() => q.search = Some(v.clone()),
            "author" if !v.is_empty() => q.author = Some(v.clone()),
            "filter" if !v.is_empty() => {
                for f in v.split(',') {
                    match crate::openness::grade_filter(f) {
                        Some(g) => q.grades.push(g),
                        None => q.filters.push(f.to_owned()),
                    }
                }
            }
            "sort" => {
                q.sort = match v.as_str() {
                    "lastModified" | "last_modified" | "trendingScore" | "trending_score" => {
                        SortKey::LastModified
                    }
                    "createdAt" | "created_at" => SortKey::CreatedAt,
                    "downloads" => SortKey::Downloads,
                    "likes" => SortKey::Likes,
                    "id" | "modelId" => SortKey::Id,
                    other => {
                        return Err(ApiError::bad_request(format!("Unknown sort key {other:?}")));
                    }
                }
            }
            "direction" => q.descending = v != "1",
            "limit" => {
                let n: i64 = v
                    .parse()
                    .map_err(|_| ApiError::bad_request("limit must be a number"))?;
                q.limit = Some(n.clamp(1, PAGE));
            }
            "offset" => {
                q.offset = v
                    .parse::<i64>()
                    .map_err(|_| ApiError::bad_request("offset must be a number"))?
                    .max(0)
            }
            "full" => q.full = truthy(Some(v)),
            "cardData" => q.card_data = truthy(Some(v)),
            _ => {}
        }
    }
    q.raw = pairs.into_iter().filter(|(k, _)| k != "offset").collect();
    Ok(q)
}

pub async fn list_models(
    state: State<AppState>,
    caller: Caller,
    base: BaseUrl,
    raw: RawQuery,
) -> ApiResult<Response> {
    list(state, caller, base, raw, RepoType::Model).await
}

pub async fn list_datasets(
    state: State<AppState>,
    caller: Caller,
    base: BaseUrl,
    raw: RawQuery,
) -> ApiResult<Response> {
    list(state, caller, base, raw, RepoType::Dataset).await
}

async fn list(
    State(state): State<AppState>,
    caller: Caller,
    BaseUrl(base): BaseUrl,
    RawQuery(raw): RawQuery,
    kind: RepoType,
) -> ApiResult<Response> {
    let q = parse_list_query(raw.as_deref())?;
    let page = q.limit.unwrap_or(PAGE);
    let query = RepoQuery {
        kind,
        viewer: caller.viewer(),
        search: q.search.clone(),
        author: q.author.clone(),
        tags: q.filters.clone(),
        grades: q.grades.clone(),
        sort: q.sort,
        descending: q.descending,
        offset: q.offset,
        limit: page + 1,
    };
    let mut repos = state.meta.list_repos(&query).await?;
    let more = repos.len() as i64 > page;
    repos.truncate(page as usize);
    let mut items = Vec::with_capacity(repos.len());
    for repo in &repos {
        let mut m = summary_json(repo);
        if (q.card_data || q.full)
            && let Some(c) = repo
                .card_data
                .as_deref()
                .and_then(|c| serde_json::from_str::<Value>(c).ok())
        {
            m.insert("cardData".into(), c);
        }
        if q.full
            && let Some(head) = repo
                .head
                .as_deref()
                .and_then(agora_repo::git::ObjectId::parse)
        {
            let files = state.engine.list(&head, "", true).await?;
            m.insert("siblings".into(), json!(siblings(&files, false)));
        }
        items.push(Value::Object(m));
    }
    let mut headers = HeaderMap::new();
    if more {
        let mut next = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in &q.raw {
            next.append_pair(k, v);
        }
        next.append_pair("offset", &(q.offset + page).to_string());
        let link = format!(
            "<{base}/api/{}?{}>; rel=\"next\"",
            kind.plural(),
            next.finish()
        );
        headers.insert(
            header::LINK,
            HeaderValue::from_str(&link).map_err(ApiError::internal)?,
        );
    }
    Ok((headers, Json(items)).into_response())
}
