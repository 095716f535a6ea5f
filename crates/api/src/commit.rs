//! Writing: `validate-yaml`, `preupload` and the NDJSON `commit` endpoint.

use agora_repo::{
    CommitRequest, Entry, Op,
    attributes::{IgnoreRules, LfsRules},
    card,
    git::ObjectId,
};
use agora_storage::model::Repo;
use axum::{
    Json,
    body::Body,
    extract::{Path, RawQuery, State},
    http::StatusCode,
    response::{IntoResponse, Response},
};
use base64::Engine as _;
use bytes::Bytes;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::{
    AppState, BaseUrl,
    auth::{Access, Caller, find_repo, require},
    error::{ApiError, ApiResult},
    repo_type,
    repos::signature,
};

/// Files at least this large go through LFS even when no `.gitattributes` rule says so.
const LFS_SIZE: u64 = 10 << 20;

/// Whether a file is stored through LFS: a `.gitattributes` rule, its size, or binary content
/// in its first bytes (`sample`). Preupload answers with this, and the web upload form obeys it.
pub fn goes_to_lfs(rules: &LfsRules, path: &str, size: u64, sample: &[u8]) -> bool {
    size > 0 && (rules.is_lfs(path) || size >= LFS_SIZE || sample.contains(&0))
}

#[derive(Deserialize)]
pub struct YamlBody {
    content: String,
    #[serde(rename = "repoType")]
    #[allow(dead_code)]
    repo_type: Option<String>,
}

/// Always answers JSON: the client reads the body before it looks at the status.
pub async fn validate_yaml(
    body: Result<Json<YamlBody>, axum::extract::rejection::JsonRejection>,
) -> Response {
    let body = match body {
        Ok(Json(b)) => b,
        Err(e) => {
            return (
                StatusCode::BAD_REQUEST,
                Json(json!({"errors": [{"message": e.body_text()}], "warnings": []})),
            )
                .into_response();
        }
    };
    match card::parse(&body.content) {
        Ok(_) => Json(json!({"errors": [], "warnings": []})).into_response(),
        Err(e) => (
            StatusCode::BAD_REQUEST,
            Json(json!({"errors": [{"message": e.to_string()}], "warnings": []})),
        )
            .into_response(),
    }
}

fn flag(q: &Option<String>, key: &str) -> bool {
    url::form_urlencoded::parse(q.as_deref().unwrap_or("").as_bytes())
        .any(|(k, v)| k == key && matches!(v.as_ref(), "1" | "true" | "True"))
}

/// Who may write to `rev` of a repository: opening a pull request, or adding to one's own,
/// needs the right to contribute (any user on a public repository, the contributor role on a
/// private one); branches and others' pull requests need write access.
async fn repo_for_commit(
    state: &AppState,
    caller: &Caller,
    kind: &str,
    ns: &str,
    name: &str,
    rev: &str,
    create_pr: bool,
) -> ApiResult<Repo> {
    let (repo, a) = find_repo(state, caller, repo_type(kind)?, ns, name).await?;
    let own_pr = !create_pr && authored(state, caller, &repo, rev).await?;
    let need = if create_pr || own_pr {
        Access::Contribute
    } else {
        Access::Write
    };
    require(caller, &repo, a, need)?;
    Ok(repo)
}

/// Whether `rev` is a pull request the caller opened.
async fn authored(state: &AppState, caller: &Caller, repo: &Repo, rev: &str) -> ApiResult<bool> {
    let Some(num) = rev
        .strip_prefix("refs/pr/")
        .filter(|_| agora_repo::engine::is_pr_ref(rev))
        .and_then(|n| n.parse::<i64>().ok())
    else {
        return Ok(false);
    };
    let Some(user) = &caller.user else {
        return Ok(false);
    };
    Ok(state.meta.pull_author(repo.id, num).await? == Some(user.id))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PreuploadBody {
    files: Vec<PreuploadFile>,
    #[serde(rename = "gitIgnore")]
    git_ignore: Option<String>,
}

#[derive(Deserialize)]
pub struct PreuploadFile {
    path: String,
    sample: String,
    size: u64,
}

pub async fn preupload(
    State(state): State<AppState>,
    caller: Caller,
    Path((kind, ns, name, rev)): Path<(String, String, String, String)>,
    RawQuery(q): RawQuery,
    crate::error::Json(body): crate::error::Json<PreuploadBody>,
) -> ApiResult<Json<Value>> {
    let repo = repo_for_commit(
        &state,
        &caller,
        &kind,
        &ns,
        &name,
        &rev,
        flag(&q, "create_pr"),
    )
    .await?;
    if body.files.len() > 1000 {
        return Err(ApiError::bad_request(
            "At most 1000 files per preupload request",
        ));
    }
    let commit = state.engine.resolve(&repo, &rev).await?.commit;
    let text = |path: &'static str| {
        let engine = state.engine.clone();
        async move {
            engine
                .small_file(&commit, path, 1 << 20)
                .await
                .map(|b| b.map(|b| String::from_utf8_lossy(&b).into_owned()))
        }
    };
    let lfs_rules = LfsRules::parse(&text(".gitattributes").await?.unwrap_or_default());
    let ignore = match &body.git_ignore {
        Some(g) => Some(IgnoreRules::parse(g)),
        None => text(".gitignore").await?.map(|g| IgnoreRules::parse(&g)),
    };
    let mut files = Vec::with_capacity(body.files.len());
    for f in &body.files {
        agora_repo::path::check_path(&f.path)?;
        let sample = base64::engine::general_purpose::STANDARD
            .decode(&f.sample)
            .map_err(|_| {
                ApiError::bad_request(format!("{}: sample is not valid base64", f.path))
            })?;
        let lfs = goes_to_lfs(&lfs_rules, &f.path, f.size, &sample);
        let mut out = json!({
            "path": f.path,
            "uploadMode": if lfs { "lfs" } else { "regular" },
            "shouldIgnore": ignore.as_ref().is_some_and(|i| i.is_ignored(&f.path)),
        });
        if let Ok(Some(Entry::File(existing))) = state.engine.entry(&commit, &f.path).await {
            out["oid"] = json!(existing.etag());
        }
        files.push(out);
    }
    Ok(Json(json!({"files": files, "commitOid": commit.hex()})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Line {
    key: String,
    value: Value,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Header {
    summary: String,
    #[serde(default)]
    description: String,
    #[serde(rename = "parentCommit")]
    parent_commit: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileLine {
    path: String,
    content: String,
    #[serde(default = "base64_name")]
    encoding: String,
}

fn base64_name() -> String {
    "base64".into()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LfsLine {
    path: String,
    oid: String,
    #[serde(default)]
    algo: Option<String>,
    size: Option<u64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PathLine {
    path: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CopyLine {
    path: String,
    #[serde(rename = "srcPath")]
    src_path: String,
    #[serde(rename = "srcRevision")]
    src_revision: Option<String>,
}

fn parse_line<T: serde::de::DeserializeOwned>(n: usize, key: &str, v: Value) -> ApiResult<T> {
    serde_json::from_value(v)
        .map_err(|e| ApiError::bad_request(format!("line {n}: invalid {key}: {e}")))
}

pub async fn commit(
    State(state): State<AppState>,
    caller: Caller,
    BaseUrl(base): BaseUrl,
    Path((kind, ns, name, rev)): Path<(String, String, String, String)>,
    RawQuery(q): RawQuery,
    body: Body,
) -> ApiResult<Json<Value>> {
    let create_pr = flag(&q, "create_pr");
    let repo = repo_for_commit(&state, &caller, &kind, &ns, &name, &rev, create_pr).await?;
    let user = caller.require_user()?.clone();
    let limit = state.config.max_commit_bytes;
    let body: Bytes = axum::body::to_bytes(body, limit).await.map_err(|_| {
        ApiError::new(
            crate::error::Code::PayloadTooLarge,
            format!("Commit body is larger than {limit} bytes; upload large files through LFS"),
        )
    })?;

    let mut header: Option<Header> = None;
    let mut ops = Vec::new();
    for (i, raw) in body.split(|&b| b == b'\n').enumerate() {
        let n = i + 1;
        if raw.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let line: Line = serde_json::from_slice(raw).map_err(|e| {
            ApiError::bad_request(format!("line {n}: not a valid commit line: {e}"))
        })?;
        match line.key.as_str() {
            "header" => {
                if header.is_some() {
                    return Err(ApiError::bad_request(format!(
                        "line {n}: a commit has one header"
                    )));
                }
                header = Some(parse_line(n, "header", line.value)?);
            }
            "file" => {
                let f: FileLine = parse_line(n, "file", line.value)?;
                let content = match f.encoding.as_str() {
                    "base64" => base64::engine::general_purpose::STANDARD
                        .decode(f.content.as_bytes())
                        .map_err(|_| {
                            ApiError::bad_request(format!(
                                "line {n}: {}: content is not valid base64",
                                f.path
                            ))
                        })?,
                    "utf-8" | "utf8" => f.content.into_bytes(),
                    other => {
                        return Err(ApiError::bad_request(format!(
                            "line {n}: unknown encoding {other:?}"
                        )));
                    }
                };
                if f.path == "README.md"
                    && let Err(e) = card::parse(&String::from_utf8_lossy(&content))
                {
                    return Err(ApiError::bad_request(format!(
                        "Invalid metadata in README.md: {e}"
                    )));
                }
                ops.push(Op::Put {
                    path: f.path,
                    content: Bytes::from(content),
                });
            }
            "lfsFile" => {
                let f: LfsLine = parse_line(n, "lfsFile", line.value)?;
                if f.algo.as_deref().is_some_and(|a| a != "sha256") {
                    return Err(ApiError::bad_request(format!(
                        "line {n}: only sha256 LFS objects are supported"
                    )));
                }
                ops.push(Op::PutLfs {
                    path: f.path,
                    oid: f.oid,
                    size: f.size,
                });
            }
            "deletedFile" => {
                let f: PathLine = parse_line(n, "deletedFile", line.value)?;
                ops.push(Op::DeleteFile { path: f.path });
            }
            "deletedFolder" => {
                let f: PathLine = parse_line(n, "deletedFolder", line.value)?;
                ops.push(Op::DeleteFolder { path: f.path });
            }
            "copyFile" => {
                let f: CopyLine = parse_line(n, "copyFile", line.value)?;
                let src_rev = f.src_revision.unwrap_or_else(|| rev.clone());
                let src = state.engine.resolve(&repo, &src_rev).await?.commit;
                ops.push(Op::Copy {
                    path: f.path,
                    src,
                    src_path: f.src_path,
                });
            }
            other => {
                return Err(ApiError::bad_request(format!(
                    "line {n}: unknown key {other:?}"
                )));
            }
        }
    }
    let header = header.ok_or_else(|| ApiError::bad_request("The commit has no header line"))?;
    if header.summary.trim().is_empty() {
        return Err(ApiError::bad_request("The commit summary is empty"));
    }
    if header.summary.len() > 10_000 || header.description.len() > 1 << 20 {
        return Err(ApiError::bad_request("The commit message is too long"));
    }
    if let Some(p) = &header.parent_commit
        && ObjectId::parse(&p.to_ascii_lowercase()).is_none()
    {
        return Err(ApiError::bad_request(
            "parentCommit must be a full commit id",
        ));
    }
    let req = CommitRequest {
        repo: repo.clone(),
        revision: rev,
        create_pr,
        parent: header.parent_commit,
        summary: header.summary,
        description: header.description,
        author: signature(&user),
        ops,
    };
    let out = apply(&state, &caller, req).await?;
    let prefix = format!("{base}/{}{}", repo.kind.url_prefix(), repo.full_name());
    let mut res = json!({"success": true, "commitOid": out.commit.hex(), "commitUrl": format!("{prefix}/commit/{}", out.commit)});
    if let Some(n) = out.pr_num {
        res["pullRequestUrl"] = json!(format!("{prefix}/discussions/{n}"));
    }
    Ok(Json(res))
}

/// Makes a commit the way every writer must: the scanner's gate first, then the engine, then
/// grading of a new `main` head off the request path. The API and the web pages commit here.
pub async fn apply(
    state: &AppState,
    caller: &Caller,
    req: CommitRequest,
) -> ApiResult<agora_repo::CommitOutcome> {
    let repo = req.repo.clone();
    crate::scanning::gate(state, &repo, &req.ops).await?;
    let out = state.engine.commit(req).await?;
    if let (Some(num), Some(user)) = (out.pr_num, &caller.user) {
        state.meta.record_pull(repo.id, num, user.id).await?;
    }
    if out.ref_name == format!("refs/heads/{}", agora_repo::DEFAULT_BRANCH) {
        crate::openness::assess_later(state.clone(), repo.clone(), out.commit);
        crate::gating::follow_card(state, caller, &repo).await?;
        crate::scanning::summarize_head(state, repo.id, &out.commit).await?;
    }
    tracing::info!(repo = %repo.full_name(), commit = %out.commit, r#ref = %out.ref_name, "commit");
    Ok(out)
}
