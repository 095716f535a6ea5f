//! Reading files: `resolve` (HEAD and GET, with ranges), `tree`, `paths-info`; and the fallback
//! router for the URL shapes axum's router cannot express (`{name}.git/...`, model URLs with no
//! type prefix).

use std::collections::HashMap;

use agora_repo::{Entry, FileEntry, git::ObjectId, lfs};
use agora_storage::model::{Repo, RepoType};
use axum::{
    Json,
    body::Body,
    extract::{Path, Query, Request, State},
    http::{HeaderMap, HeaderValue, Method, StatusCode, header},
    response::{IntoResponse, Response},
};
use base64::Engine as _;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::{
    AppState, BaseUrl,
    auth::{Caller, find_repo},
    error::{ApiError, ApiResult},
    quote, repo_type,
};

/// Routes that are not under `/api`: `[datasets/]{ns}/{name}/resolve/{rev}/{path}` and
/// `[datasets/]{ns}/{name}.git/info/lfs/objects/batch`.
pub async fn fallback(
    State(state): State<AppState>,
    caller: Caller,
    base: BaseUrl,
    req: Request,
) -> Response {
    match route(state, caller, base, req).await {
        Ok(r) => r,
        Err(e) => e.into_response(),
    }
}

fn decode(seg: &str) -> ApiResult<String> {
    percent_encoding::percent_decode_str(seg)
        .decode_utf8()
        .map(|s| s.into_owned())
        .map_err(|_| ApiError::bad_request("URL is not valid UTF-8"))
}

async fn route(
    state: AppState,
    caller: Caller,
    base: BaseUrl,
    req: Request,
) -> ApiResult<Response> {
    let path = req.uri().path().to_owned();
    let mut segs: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let kind = if segs.first() == Some(&"datasets") {
        segs.remove(0);
        RepoType::Dataset
    } else {
        RepoType::Model
    };
    if segs.len() >= 5 && segs[2] == "resolve" {
        let ns = decode(segs[0])?;
        let name = decode(segs[1])?;
        let rev = decode(segs[3])?;
        let file = segs[4..]
            .iter()
            .map(|s| decode(s))
            .collect::<ApiResult<Vec<_>>>()?
            .join("/");
        let head = req.method() == Method::HEAD;
        if !head && req.method() != Method::GET {
            return Err(
                ApiError::new(crate::error::Code::BadRequest, "Method not allowed")
                    .with_status(StatusCode::METHOD_NOT_ALLOWED),
            );
        }
        return resolve(
            &state,
            &caller,
            &base.0,
            kind,
            &ns,
            &name,
            &rev,
            &file,
            req.headers(),
            head,
        )
        .await;
    }
    if segs.len() == 6
        && segs[1].ends_with(".git")
        && segs[2..] == ["info", "lfs", "objects", "batch"]
        && req.method() == Method::POST
    {
        let ns = decode(segs[0])?;
        let name = decode(segs[1].trim_end_matches(".git"))?;
        return crate::lfs::batch(state, caller, base, kind, ns, name, req).await;
    }
    Err(ApiError::not_found(format!("No route for {path}")))
}

/// The site has signed-in pages: content from repositories never runs as one of them (no type
/// sniffing, and a sandbox with nothing allowed should a browser show it as a page).
pub fn sandbox(headers: &mut HeaderMap) {
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("sandbox; default-src 'none'"),
    );
}

/// A single byte range; multi-range requests get the whole file, which HTTP allows.
fn parse_range(h: &HeaderMap, size: u64) -> Result<Option<(u64, u64)>, ()> {
    let Some(v) = h.get(header::RANGE).and_then(|v| v.to_str().ok()) else {
        return Ok(None);
    };
    let Some(spec) = v.trim().strip_prefix("bytes=") else {
        return Ok(None);
    };
    if spec.contains(',') {
        return Ok(None);
    }
    let (a, b) = spec.split_once('-').ok_or(())?;
    let (a, b) = (a.trim(), b.trim());
    let (start, end) = if a.is_empty() {
        let n: u64 = b.parse().map_err(|_| ())?;
        if n == 0 {
            return Err(());
        }
        (size.saturating_sub(n), size.saturating_sub(1))
    } else {
        let start: u64 = a.parse().map_err(|_| ())?;
        let end = if b.is_empty() {
            size.saturating_sub(1)
        } else {
            b.parse::<u64>()
                .map_err(|_| ())?
                .min(size.saturating_sub(1))
        };
        (start, end)
    };
    if start >= size || end < start {
        return Err(());
    }
    Ok(Some((start, end)))
}

/// A file's content, as `/resolve` serves it (the web interface's download links call it with
/// the signed-in viewer as caller).
#[allow(clippy::too_many_arguments)]
pub async fn resolve(
    state: &AppState,
    caller: &Caller,
    base: &str,
    kind: RepoType,
    ns: &str,
    name: &str,
    rev: &str,
    path: &str,
    h: &HeaderMap,
    head: bool,
) -> ApiResult<Response> {
    let (repo, _) = find_repo(state, caller, kind, ns, name).await?;
    crate::gating::check_content(state, caller, &repo, base, path).await?;
    let revision = state.engine.resolve(&repo, rev).await?;
    let commit = revision.commit.hex();
    let file = match state.engine.entry(&revision.commit, path).await {
        Ok(Some(Entry::File(f))) => f,
        Ok(_) | Err(agora_repo::Error::InvalidPath(_)) => {
            return Err(ApiError::entry_not_found(path).with_commit(commit));
        }
        Err(e) => return Err(e.into()),
    };
    let etag = format!("\"{}\"", file.etag());
    let mut headers = HeaderMap::new();
    let hv = |s: &str| HeaderValue::from_str(s).map_err(ApiError::internal);
    headers.insert(header::ETAG, hv(&etag)?);
    headers.insert("x-repo-commit", hv(&commit)?);
    headers.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(content_type(path)),
    );
    if let Some(p) = &file.lfs {
        headers.insert("x-linked-size", hv(&file.size.to_string())?);
        headers.insert("x-linked-etag", hv(&etag)?);
        // Uploaded through Xet: Xet-capable clients may download through the CAS.
        if let Some(x) = crate::xet::hash_of(state, &p.oid).await? {
            crate::xet::advertise(
                &mut headers,
                base,
                kind.plural(),
                &repo.full_name(),
                &commit,
                &x,
            )?;
        }
    }
    let filename = path.rsplit('/').next().unwrap_or(path);
    let disposition = format!("inline; filename*=UTF-8''{}", quote(filename));
    headers.insert(header::CONTENT_DISPOSITION, hv(&disposition)?);
    sandbox(&mut headers);

    if h.get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .any(|t| t.trim().trim_start_matches("W/") == etag)
        })
    {
        return Ok((StatusCode::NOT_MODIFIED, headers).into_response());
    }
    let range = match parse_range(h, file.size) {
        Ok(r) => r,
        Err(()) => {
            let mut e = ApiError::new(
                crate::error::Code::RangeNotSatisfiable,
                "Requested range not satisfiable",
            );
            e.extra_headers.push((
                header::CONTENT_RANGE,
                hv(&format!("bytes */{}", file.size))?,
            ));
            e.extra_headers
                .push((header::ACCEPT_RANGES, HeaderValue::from_static("bytes")));
            e.commit = Some(commit);
            return Err(e);
        }
    };
    let (status, start, len) = match range {
        Some((a, b)) => {
            headers.insert(
                header::CONTENT_RANGE,
                hv(&format!("bytes {a}-{b}/{}", file.size))?,
            );
            (StatusCode::PARTIAL_CONTENT, a, b - a + 1)
        }
        None => (StatusCode::OK, 0, file.size),
    };
    headers.insert(header::CONTENT_LENGTH, hv(&len.to_string())?);
    if head {
        return Ok((status, headers).into_response());
    }
    if start == 0 {
        // A download is the start of a file; later ranges of the same download don't count.
        if let Err(e) = state.meta.count_download(repo.id).await {
            tracing::warn!(error = %e, "download not counted");
        }
    }
    let key = content_key(&file);
    let stream = crate::xet::read(state, &key, Some(start..start + len))
        .await
        .map_err(|e| match e {
            agora_storage::Error::NotFound => {
                ApiError::internal(format!("content of {path} is missing ({key})"))
            }
            e => e.into(),
        })?;
    Ok((status, headers, Body::from_stream(stream)).into_response())
}

fn content_key(f: &FileEntry) -> String {
    match &f.lfs {
        Some(p) => lfs::content_key(&p.oid),
        None => f.oid.key(),
    }
}

fn content_type(path: &str) -> &'static str {
    let ext = path.rsplit('.').next().unwrap_or("").to_ascii_lowercase();
    match ext.as_str() {
        "json" => "application/json",
        "md" | "txt" | "py" | "yaml" | "yml" | "csv" | "jsonl" | "gitattributes" | "toml"
        | "cfg" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

#[derive(Deserialize, Default)]
pub struct TreeQuery {
    recursive: Option<String>,
    expand: Option<String>,
    cursor: Option<String>,
    limit: Option<usize>,
}

fn truthy(v: Option<&str>) -> bool {
    v.is_some_and(|v| matches!(v.to_ascii_lowercase().as_str(), "1" | "true"))
}

pub async fn tree_root(
    state: State<AppState>,
    caller: Caller,
    base: BaseUrl,
    Path((kind, ns, name, rev)): Path<(String, String, String, String)>,
    q: Query<TreeQuery>,
) -> ApiResult<Response> {
    tree(
        state,
        caller,
        base,
        Path((kind, ns, name, rev, String::new())),
        q,
    )
    .await
}

pub async fn tree(
    State(state): State<AppState>,
    caller: Caller,
    BaseUrl(base): BaseUrl,
    Path((kind, ns, name, rev, path)): Path<(String, String, String, String, String)>,
    Query(q): Query<TreeQuery>,
) -> ApiResult<Response> {
    let kind = repo_type(&kind)?;
    let (repo, _) = find_repo(&state, &caller, kind, &ns, &name).await?;
    let folder = path.trim_matches('/');
    let revision = state.engine.resolve(&repo, &rev).await?;
    if !folder.is_empty() {
        agora_repo::path::check_path(folder).map_err(|_| ApiError::entry_not_found(folder))?;
    }
    let recursive = truthy(q.recursive.as_deref());
    let expand = truthy(q.expand.as_deref());
    let entries = state
        .engine
        .list(&revision.commit, folder, recursive)
        .await
        .map_err(|e| match e {
            agora_repo::Error::EntryNotFound(_) => ApiError::entry_not_found(folder),
            e => e.into(),
        })?;
    let page = q
        .limit
        .unwrap_or(if expand { 50 } else { 1000 })
        .clamp(1, if expand { 1000 } else { 10_000 });
    let start = match &q.cursor {
        Some(c) => decode_cursor(c)?,
        None => 0,
    };
    let end = (start + page).min(entries.len());
    let slice = entries.get(start..end).unwrap_or(&[]);
    let items = entries_json(&state, &repo, &revision.commit, slice, expand).await?;
    let mut headers = HeaderMap::new();
    if end < entries.len() {
        let mut url = format!(
            "{base}/api/{}/{}/tree/{}",
            kind.plural(),
            repo.full_name(),
            quote(&rev)
        );
        if !folder.is_empty() {
            url.push('/');
            url.push_str(&quote(folder));
        }
        let link = format!(
            "<{url}?recursive={recursive}&expand={expand}&limit={page}&cursor={}>; rel=\"next\"",
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(end.to_string())
        );
        headers.insert(
            header::LINK,
            HeaderValue::from_str(&link).map_err(ApiError::internal)?,
        );
    }
    Ok((headers, Json(items)).into_response())
}

fn decode_cursor(c: &str) -> ApiResult<usize> {
    let bad = || ApiError::bad_request("Invalid cursor");
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(c)
        .map_err(|_| bad())?;
    std::str::from_utf8(&raw)
        .ok()
        .and_then(|s| s.parse().ok())
        .ok_or_else(bad)
}

/// Entries in the Hub's shape; `expand` adds each entry's last commit.
async fn entries_json(
    state: &AppState,
    repo: &Repo,
    commit: &ObjectId,
    entries: &[Entry],
    expand: bool,
) -> ApiResult<Vec<Value>> {
    let last: HashMap<String, ObjectId> = if expand {
        let paths: Vec<String> = entries.iter().map(|e| e.path().to_owned()).collect();
        state.engine.last_commits(commit, &paths).await?
    } else {
        HashMap::new()
    };
    let scans = if expand {
        let files: Vec<&FileEntry> = entries.iter().filter_map(Entry::file).collect();
        crate::scanning::verdicts(state, &files).await?
    } else {
        HashMap::new()
    };
    let mut out = Vec::with_capacity(entries.len());
    for e in entries {
        let mut v = match e {
            Entry::File(f) => {
                let mut v =
                    json!({"type": "file", "path": f.path, "size": f.size, "oid": f.oid.hex()});
                if let Some(p) = &f.lfs {
                    v["lfs"] = json!({"oid": p.oid, "size": p.size, "pointerSize": f.blob_size});
                    if let Some(x) = crate::xet::hash_of(state, &p.oid).await? {
                        v["xetHash"] = json!(x);
                    }
                }
                if expand {
                    v["securityFileStatus"] =
                        crate::scanning::file_status(scans.get(&crate::scanning::content_id(f)));
                }
                v
            }
            Entry::Dir { path, oid } => {
                json!({"type": "directory", "path": path, "oid": oid.hex()})
            }
        };
        if let Some(c) = last.get(e.path())
            && let Some(row) = state.meta.commit_row(repo.id, &c.hex()).await?
        {
            v["lastCommit"] = json!({"id": row.sha, "title": row.title, "date": agora_storage::format_ms(row.date)});
        }
        out.push(v);
    }
    Ok(out)
}

/// `paths-info`: form-encoded (`paths=a&paths=b&expand=true`) as the Python client sends it, or
/// JSON (`{"paths": [...], "expand": true}`) as huggingface.js does. Unknown paths are omitted.
pub async fn paths_info(
    State(state): State<AppState>,
    caller: Caller,
    Path((kind, ns, name, rev)): Path<(String, String, String, String)>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> ApiResult<Json<Vec<Value>>> {
    let (repo, _) = find_repo(&state, &caller, repo_type(&kind)?, &ns, &name).await?;
    if body.len() > 4 << 20 {
        return Err(ApiError::new(
            crate::error::Code::PayloadTooLarge,
            "paths-info body is larger than 4 MiB",
        ));
    }
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    let (paths, expand) = if is_json {
        #[derive(Deserialize)]
        struct Body {
            paths: Vec<String>,
            #[serde(default)]
            expand: bool,
        }
        let b: Body = serde_json::from_slice(&body)
            .map_err(|e| ApiError::bad_request(format!("Invalid JSON body: {e}")))?;
        (b.paths, b.expand)
    } else {
        let mut paths = Vec::new();
        let mut expand = false;
        for (k, v) in url::form_urlencoded::parse(&body) {
            match k.as_ref() {
                "paths" => paths.push(v.into_owned()),
                "expand" => expand = truthy(Some(&v)),
                _ => {}
            }
        }
        (paths, expand)
    };
    if paths.len() > 10_000 {
        return Err(ApiError::bad_request("At most 10000 paths per request"));
    }
    let revision = state.engine.resolve(&repo, &rev).await?;
    let mut found = Vec::new();
    for p in paths {
        let p = p.trim_matches('/');
        if p.is_empty() || agora_repo::path::check_path(p).is_err() {
            continue;
        }
        if let Some(e) = state.engine.entry(&revision.commit, p).await? {
            found.push(e);
        }
    }
    Ok(Json(
        entries_json(&state, &repo, &revision.commit, &found, expand).await?,
    ))
}
