//! Repository pages: the card, files, a file, raw content, history, one commit with its diff,
//! branches and tags. Every handler starts with [`open`], which goes through the hub's access
//! check: a repository the viewer may not read is the same 404 as one that does not exist.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex, OnceLock},
};

use agora_api::{
    AppState, BaseUrl,
    auth::{Access, find_repo, find_repo_for},
};
use agora_repo::{Entry, FileEntry, git::ObjectId};
use agora_storage::model::{Gated, Repo, RepoType};
use askama::Template;
use axum::{
    extract::{Path, Query, State},
    http::{HeaderValue, Uri, header},
    response::{IntoResponse, Response},
};
use serde::Deserialize;
use serde_json::Value;

use crate::{
    Error, Result, Viewer,
    layout::{Layout, date, page, path_url, size},
    markdown,
};

#[derive(Deserialize)]
pub struct RepoPath {
    pub ns: String,
    pub name: String,
    #[serde(default)]
    pub rev: Option<String>,
    #[serde(default)]
    pub path: Option<String>,
    #[serde(default)]
    pub sha: Option<String>,
}

/// The heading and tabs every repository page shares.
pub struct Head {
    pub kind: &'static str,
    pub full: String,
    /// `/alice/model` or `/datasets/alice/data`.
    pub url: String,
    pub private: bool,
    pub gated: Option<&'static str>,
    pub tab: &'static str,
    pub admin: bool,
    pub write: bool,
    pub downloads: i64,
    pub likes: i64,
    pub updated: String,
}

pub struct Ctx {
    pub repo: Repo,
    pub head: Head,
}

impl Ctx {
    pub fn layout(&self, v: &Viewer, what: &str) -> Layout {
        Layout::new(v, format!("{what} · {}", self.head.full))
    }
}

pub fn kind_of(uri: &Uri) -> RepoType {
    if uri.path().starts_with("/datasets/") {
        RepoType::Dataset
    } else {
        RepoType::Model
    }
}

pub fn repo_url(kind: RepoType, full: &str) -> String {
    format!(
        "/{}{}",
        kind.url_prefix(),
        full.split('/')
            .map(agora_api::quote)
            .collect::<Vec<_>>()
            .join("/")
    )
}

/// Finds the repository through the hub's access check.
pub async fn open(
    state: &AppState,
    v: &Viewer,
    uri: &Uri,
    p: &RepoPath,
    tab: &'static str,
) -> Result<Ctx> {
    let kind = kind_of(uri);
    let (repo, access) = find_repo(state, &v.caller, kind, &p.ns, &p.name)
        .await
        .map_err(|e| match e.code {
            agora_api::error::Code::RepoNotFound => Error::NotFound,
            _ => Error::Api(e),
        })?;
    let head = Head {
        kind: kind.as_str(),
        full: repo.full_name(),
        url: repo_url(kind, &repo.full_name()),
        private: repo.private,
        gated: repo.gated.map(Gated::as_str),
        tab,
        admin: access >= Access::Admin,
        write: access >= Access::Write,
        downloads: repo.downloads,
        likes: repo.likes,
        updated: date(repo.last_modified),
    };
    Ok(Ctx { repo, head })
}

/// The repository at `p` if the viewer has `need` on it, through the hub's access check: one
/// they may not see is not found, one they see but lack `need` on is forbidden with `denied`.
pub async fn open_for(
    state: &AppState,
    v: &Viewer,
    uri: &Uri,
    p: &RepoPath,
    need: Access,
    denied: &str,
) -> Result<Repo> {
    find_repo_for(state, &v.caller, kind_of(uri), &p.ns, &p.name, need)
        .await
        .map_err(|e| match e.code {
            agora_api::error::Code::RepoNotFound => Error::NotFound,
            _ => Error::Forbidden(denied.to_owned()),
        })
}

/// File content of a gated repository is for those let in; its metadata (names, sizes, history)
/// stays readable, as in the API.
async fn require_content(state: &AppState, v: &Viewer, ctx: &Ctx) -> Result<()> {
    if ctx.repo.gated.is_some()
        && !agora_api::gating::may_read_content(state, &v.caller, &ctx.repo).await?
    {
        return Err(Error::Forbidden(format!(
            "{} is gated: ask for access on its card page ({}).",
            ctx.head.full, ctx.head.url
        )));
    }
    Ok(())
}

/// A commit of the repository, or 404.
async fn resolve(state: &AppState, ctx: &Ctx, rev: &str) -> Result<ObjectId> {
    Ok(state
        .engine
        .resolve(&ctx.repo, rev)
        .await
        .map_err(|_| Error::NotFound)?
        .commit)
}

// ---- the card --------------------------------------------------------------------------------

/// Rendered cards by README blob id and repository URL: the same bytes always render the same.
type CardCache = Mutex<HashMap<(ObjectId, String), Arc<String>>>;

fn card_cache() -> &'static CardCache {
    static C: OnceLock<CardCache> = OnceLock::new();
    C.get_or_init(Default::default)
}

async fn card_html(state: &AppState, ctx: &Ctx, commit: &ObjectId) -> Result<Option<Arc<String>>> {
    let Some(Entry::File(f)) = state.engine.entry(commit, "README.md").await? else {
        return Ok(None);
    };
    if f.lfs.is_some() || f.size > markdown::MAX_CARD as u64 * 2 {
        return Ok(None);
    }
    let key = (f.oid, ctx.head.url.clone());
    if let Some(h) = card_cache().lock().ok().and_then(|m| m.get(&key).cloned()) {
        return Ok(Some(h));
    }
    let bytes = state.engine.object(&f.oid).await?;
    let text = String::from_utf8_lossy(&bytes);
    let base = markdown::Base {
        repo_url: ctx.head.url.clone(),
        rev: agora_repo::DEFAULT_BRANCH.to_owned(),
        dir: String::new(),
    };
    let html = Arc::new(markdown::render(&text, &base));
    if let Ok(mut m) = card_cache().lock() {
        if m.len() > 2_000 {
            m.clear();
        }
        m.insert(key, html.clone());
    }
    Ok(Some(html))
}

pub struct Licence {
    pub id: String,
    pub name: String,
    pub url: Option<String>,
    /// Plain-language lines: what the licence allows and asks.
    pub summary: Vec<String>,
}

pub struct Client {
    pub name: &'static str,
    pub code: String,
}

#[derive(Template)]
#[template(path = "card.html")]
struct CardPage {
    l: Layout,
    r: Head,
    card: Option<Arc<String>>,
    licence: Option<Licence>,
    tags: Vec<String>,
    base_models: Vec<(String, String)>,
    datasets: Vec<(String, String)>,
    pipeline: Option<String>,
    grade: Option<crate::openness::Grade>,
    clients: Vec<Client>,
    endpoint: String,
    gate: Option<crate::gating::Gate>,
}

pub async fn card(
    State(state): State<AppState>,
    v: Viewer,
    uri: Uri,
    BaseUrl(base): BaseUrl,
    Path(p): Path<RepoPath>,
) -> Result<Response> {
    let ctx = open(&state, &v, &uri, &p, "card").await?;
    let head = ctx.repo.head.as_deref().and_then(ObjectId::parse);
    let (card, meta) = match &head {
        Some(c) => (
            card_html(&state, &ctx, c).await?,
            state.engine.card(&ctx.repo, c).await?.0,
        ),
        None => (None, None),
    };
    let meta = meta.unwrap_or_default();
    let strings = |k: &str| -> Vec<String> {
        match meta.get(k) {
            Some(Value::String(s)) => vec![s.clone()],
            Some(Value::Array(a)) => a
                .iter()
                .filter_map(|x| x.as_str().map(str::to_owned))
                .take(50)
                .collect(),
            _ => Vec::new(),
        }
    };
    let assessment = match &head {
        Some(c) => state.meta.assessment(ctx.repo.id, &c.hex()).await?,
        None => None,
    };
    let report: Option<Value> = assessment
        .as_ref()
        .and_then(|a| serde_json::from_str(&a.report).ok());
    let licence = crate::openness::licence(report.as_ref(), &strings("license"));
    let grade = assessment.as_ref().map(crate::openness::grade);
    let link = |kind: RepoType, id: &str| -> (String, String) {
        let url = if agora_repo::path::check_repo_id(id).is_ok() {
            repo_url(kind, id)
        } else {
            String::new()
        };
        (id.to_owned(), url)
    };
    let base_models = strings("base_model")
        .iter()
        .map(|id| link(RepoType::Model, id))
        .collect();
    let datasets = strings("datasets")
        .iter()
        .map(|id| link(RepoType::Dataset, id))
        .collect();
    let full = ctx.head.full.clone();
    let gate = crate::gating::gate(&state, &v, &ctx.repo).await?;
    let page_ = CardPage {
        gate,
        l: ctx.layout(&v, "Card"),
        clients: clients(ctx.repo.kind, &full, &base),
        endpoint: base,
        tags: ctx.repo.tags.iter().take(60).cloned().collect(),
        pipeline: strings("pipeline_tag").into_iter().next(),
        r: ctx.head,
        card,
        licence,
        base_models,
        datasets,
        grade,
    };
    page(&page_)
}

/// How to use the repository from each client, against this hub.
fn clients(kind: RepoType, full: &str, base: &str) -> Vec<Client> {
    let env = format!("export HF_ENDPOINT={base}\n");
    let repo_type = match kind {
        RepoType::Model => "",
        RepoType::Dataset => ", repo_type=\"dataset\"",
    };
    let cli_type = match kind {
        RepoType::Model => "",
        RepoType::Dataset => " --repo-type dataset",
    };
    let mut out = vec![
        Client {
            name: "hf CLI",
            code: format!("{env}hf download {full}{cli_type}"),
        },
        Client {
            name: "huggingface_hub (Python)",
            code: format!(
                "{env}python -c 'from huggingface_hub import snapshot_download; print(snapshot_download(\"{full}\"{repo_type}))'"
            ),
        },
    ];
    match kind {
        RepoType::Model => out.push(Client {
            name: "transformers",
            code: format!(
                "{env}python -c 'from transformers import AutoModel; AutoModel.from_pretrained(\"{full}\")'"
            ),
        }),
        RepoType::Dataset => out.push(Client {
            name: "datasets",
            code: format!(
                "{env}python -c 'from datasets import load_dataset; print(load_dataset(\"{full}\"))'"
            ),
        }),
    }
    out.push(Client {
        name: "hf-hub (Rust)",
        code: format!(
            "let api = hf_hub::api::sync::ApiBuilder::new().with_endpoint(\"{base}\".into()).build()?;\nlet repo = api.{}(\"{full}\".into());",
            if kind == RepoType::Model { "model" } else { "dataset" }
        ),
    });
    out.push(Client {
        name: "Uploading",
        code: format!(
            "{env}export HF_TOKEN=<a write token from {base}/settings/tokens>\nhf upload {full} ./local-folder{cli_type}"
        ),
    });
    out
}

// ---- files ------------------------------------------------------------------------------------

pub struct Row {
    pub name: String,
    pub url: String,
    pub dir: bool,
    pub size: String,
    pub lfs: bool,
    /// `safe`, `unknown`, `unsafe` or `` (not scanned yet).
    pub verdict: String,
}

pub struct Crumb {
    pub name: String,
    pub url: String,
}

#[derive(Template)]
#[template(path = "tree.html")]
struct TreePage {
    l: Layout,
    r: Head,
    rev: String,
    crumbs: Vec<Crumb>,
    rows: Vec<Row>,
    upload: Option<String>,
    last: Option<(String, String, String, String)>,
}

fn crumbs(ctx: &Ctx, rev: &str, path: &str) -> Vec<Crumb> {
    let mut out = vec![Crumb {
        name: ctx.repo.name.clone(),
        url: format!("{}/tree/{}", ctx.head.url, agora_api::quote(rev)),
    }];
    let mut acc = String::new();
    for seg in path.split('/').filter(|s| !s.is_empty()) {
        if !acc.is_empty() {
            acc.push('/');
        }
        acc.push_str(seg);
        out.push(Crumb {
            name: seg.to_owned(),
            url: format!(
                "{}/tree/{}/{}",
                ctx.head.url,
                agora_api::quote(rev),
                path_url(&acc)
            ),
        });
    }
    out
}

fn check(path: &str) -> Result<String> {
    let p = path.trim_matches('/');
    if !p.is_empty() && agora_repo::path::check_path(p).is_err() {
        return Err(Error::NotFound);
    }
    Ok(p.to_owned())
}

pub async fn tree_root(
    state: State<AppState>,
    v: Viewer,
    uri: Uri,
    Path(mut p): Path<RepoPath>,
) -> Result<Response> {
    p.path = None;
    tree_at(state, v, uri, p).await
}

pub async fn tree(
    state: State<AppState>,
    v: Viewer,
    uri: Uri,
    Path(p): Path<RepoPath>,
) -> Result<Response> {
    tree_at(state, v, uri, p).await
}

async fn tree_at(
    State(state): State<AppState>,
    v: Viewer,
    uri: Uri,
    p: RepoPath,
) -> Result<Response> {
    let ctx = open(&state, &v, &uri, &p, "files").await?;
    let rev = p.rev.clone().unwrap_or_default();
    let folder = check(p.path.as_deref().unwrap_or(""))?;
    let commit = resolve(&state, &ctx, &rev).await?;
    let entries = match state.engine.list(&commit, &folder, false).await {
        Ok(e) => e,
        Err(agora_repo::Error::EntryNotFound(_)) => return Err(Error::NotFound),
        Err(e) => return Err(e.into()),
    };
    let files: Vec<&FileEntry> = entries.iter().filter_map(Entry::file).collect();
    let verdicts = agora_api::scanning::verdicts(&state, &files).await?;
    let qrev = agora_api::quote(&rev);
    let mut rows: Vec<Row> = entries
        .iter()
        .map(|e| {
            let name = e.path().rsplit('/').next().unwrap_or("").to_owned();
            match e {
                Entry::Dir { path, .. } => Row {
                    url: format!("{}/tree/{qrev}/{}", ctx.head.url, path_url(path)),
                    name,
                    dir: true,
                    size: String::new(),
                    lfs: false,
                    verdict: String::new(),
                },
                Entry::File(f) => Row {
                    url: format!("{}/blob/{qrev}/{}", ctx.head.url, path_url(&f.path)),
                    name,
                    dir: false,
                    size: size(f.size),
                    lfs: f.lfs.is_some(),
                    verdict: verdicts
                        .get(&agora_api::scanning::content_id(f))
                        .map(|r| r.verdict.clone())
                        .unwrap_or_default(),
                },
            }
        })
        .collect();
    // Folders first, as file browsers do.
    rows.sort_by_key(|r| !r.dir);
    let row = state.meta.commit_row(ctx.repo.id, &commit.hex()).await?;
    let last = row.map(|r| {
        (
            r.sha[..12.min(r.sha.len())].to_owned(),
            format!("{}/commit/{}", ctx.head.url, r.sha),
            r.title,
            format!("{} · {}", r.author, date(r.date)),
        )
    });
    let upload = (ctx.head.write && !agora_repo::engine::is_pr_ref(&rev))
        .then(|| format!("{}/upload/{qrev}", ctx.head.url));
    let t = TreePage {
        l: ctx.layout(&v, "Files"),
        crumbs: crumbs(&ctx, &rev, &folder),
        r: ctx.head,
        rev,
        rows,
        upload,
        last,
    };
    page(&t)
}

#[derive(Template)]
#[template(path = "blob.html")]
struct BlobPage {
    l: Layout,
    r: Head,
    rev: String,
    crumbs: Vec<Crumb>,
    path: String,
    size: String,
    lfs: Option<(String, String)>,
    /// Highlighted HTML (escaped by the highlighter) and its line count.
    code: Option<String>,
    lines: Vec<usize>,
    /// Rendered Markdown of `.md` files.
    rendered: Option<String>,
    raw_url: String,
    download_url: String,
    verdict: String,
    findings: Vec<String>,
    why_no_text: &'static str,
}

/// Files up to this size are shown inline.
const MAX_VIEW: u64 = 1 << 20;

/// The text of a regular file small enough to show, if it is text.
async fn text_of(state: &AppState, f: &FileEntry) -> Result<Option<String>> {
    if f.lfs.is_some() || f.size > MAX_VIEW {
        return Ok(None);
    }
    let bytes = state.engine.object(&f.oid).await?;
    if bytes.contains(&0) {
        return Ok(None);
    }
    Ok(String::from_utf8(bytes.to_vec()).ok())
}

async fn file(state: &AppState, commit: &ObjectId, path: &str) -> Result<FileEntry> {
    match state.engine.entry(commit, path).await? {
        Some(Entry::File(f)) => Ok(f),
        _ => Err(Error::NotFound),
    }
}

/// The regular file a `blob` or `raw` URL names, past the access check and the gate on content:
/// the repository, the revision as written, the checked path and the file.
async fn open_file(
    state: &AppState,
    v: &Viewer,
    uri: &Uri,
    p: &RepoPath,
) -> Result<(Ctx, String, String, FileEntry)> {
    let ctx = open(state, v, uri, p, "files").await?;
    require_content(state, v, &ctx).await?;
    let rev = p.rev.clone().unwrap_or_default();
    let path = check(p.path.as_deref().unwrap_or(""))?;
    let commit = resolve(state, &ctx, &rev).await?;
    let f = file(state, &commit, &path).await?;
    Ok((ctx, rev, path, f))
}

pub async fn blob(
    State(state): State<AppState>,
    v: Viewer,
    uri: Uri,
    Path(p): Path<RepoPath>,
) -> Result<Response> {
    let (ctx, rev, path, f) = open_file(&state, &v, &uri, &p).await?;
    let text = text_of(&state, &f).await?;
    let why_no_text = match (&text, &f.lfs) {
        (Some(_), _) => "",
        (None, Some(_)) => "This file is stored with Git LFS.",
        (None, None) if f.size > MAX_VIEW => "This file is too large to show here.",
        (None, None) => "This file is binary.",
    };
    let lines = text
        .as_ref()
        .map(|t| (1..=t.lines().count().max(1)).collect())
        .unwrap_or_default();
    let rendered = match &text {
        Some(t) if path.to_ascii_lowercase().ends_with(".md") => {
            let dir = path.rsplit_once('/').map(|(d, _)| d).unwrap_or("");
            Some(markdown::render(
                t,
                &markdown::Base {
                    repo_url: ctx.head.url.clone(),
                    rev: agora_api::quote(&rev),
                    dir: dir.to_owned(),
                },
            ))
        }
        _ => None,
    };
    let code = text.as_ref().map(|t| crate::highlight::html(&path, t));
    let scan = agora_api::scanning::verdicts(&state, &[&f]).await?;
    let rec = scan.get(&agora_api::scanning::content_id(&f));
    let findings = rec
        .and_then(|r| serde_json::from_str::<Value>(&r.report).ok())
        .map(|r| crate::openness::findings(&r))
        .unwrap_or_default();
    let qrev = agora_api::quote(&rev);
    let t = BlobPage {
        l: ctx.layout(&v, &path),
        crumbs: crumbs(&ctx, &rev, &path),
        raw_url: format!("{}/raw/{qrev}/{}", ctx.head.url, path_url(&path)),
        download_url: format!("{}/download/{qrev}/{}", ctx.head.url, path_url(&path)),
        size: size(f.size),
        lfs: f.lfs.as_ref().map(|p| (p.oid.clone(), size(p.size))),
        verdict: rec.map(|r| r.verdict.clone()).unwrap_or_default(),
        findings,
        code,
        lines,
        rendered,
        why_no_text,
        r: ctx.head,
        rev,
        path,
    };
    page(&t)
}

/// Raw text of a regular file, shown by the browser as plain text and never as a page of this
/// site (`sandbox`), whatever its content. Other files go to their download URL.
pub async fn raw(
    State(state): State<AppState>,
    v: Viewer,
    uri: Uri,
    Path(p): Path<RepoPath>,
) -> Result<Response> {
    let (ctx, rev, path, f) = open_file(&state, &v, &uri, &p).await?;
    match text_of(&state, &f).await? {
        Some(t) => {
            let mut res = t.into_response();
            let h = res.headers_mut();
            h.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/plain; charset=utf-8"),
            );
            agora_api::files::sandbox(h);
            Ok(res)
        }
        None => Ok(crate::layout::see_other(&format!(
            "{}/download/{}/{}",
            ctx.head.url,
            agora_api::quote(&rev),
            path_url(&path)
        ))),
    }
}

/// A file's content for the signed-in viewer: the API's `/resolve` with the session as caller,
/// so private and gated files download from the pages too (the API itself reads tokens only).
pub async fn download(
    State(state): State<AppState>,
    v: Viewer,
    uri: Uri,
    BaseUrl(base): BaseUrl,
    headers: axum::http::HeaderMap,
    Path(p): Path<RepoPath>,
) -> Result<Response> {
    let path = check(p.path.as_deref().unwrap_or(""))?;
    let rev = p.rev.clone().unwrap_or_default();
    match agora_api::files::resolve(
        &state,
        &v.caller,
        &base,
        kind_of(&uri),
        &p.ns,
        &p.name,
        &rev,
        &path,
        &headers,
        false,
    )
    .await
    {
        Ok(r) => Ok(r),
        Err(e) if e.code == agora_api::error::Code::RepoNotFound => Err(Error::NotFound),
        Err(e) => Err(e.into()),
    }
}

// ---- history ----------------------------------------------------------------------------------

pub struct CommitItem {
    pub short: String,
    pub url: String,
    pub title: String,
    pub author: String,
    pub date: String,
}

#[derive(Template)]
#[template(path = "commits.html")]
struct CommitsPage {
    l: Layout,
    r: Head,
    rev: String,
    items: Vec<CommitItem>,
    prev: Option<String>,
    next: Option<String>,
}

#[derive(Deserialize)]
pub struct PageQuery {
    #[serde(default)]
    p: Option<String>,
}

const PER_PAGE: usize = 50;

pub async fn commits(
    State(state): State<AppState>,
    v: Viewer,
    uri: Uri,
    Path(p): Path<RepoPath>,
    Query(pq): Query<PageQuery>,
) -> Result<Response> {
    let ctx = open(&state, &v, &uri, &p, "commits").await?;
    let rev = p.rev.clone().unwrap_or_default();
    let commit = resolve(&state, &ctx, &rev).await?;
    let n: usize =
        pq.p.as_deref()
            .and_then(|s| s.parse().ok())
            .unwrap_or(0)
            .min(10_000);
    let (rows, more) = state
        .engine
        .history(ctx.repo.id, &commit, n * PER_PAGE, PER_PAGE)
        .await?;
    let here = format!("{}/commits/{}", ctx.head.url, agora_api::quote(&rev));
    let items = rows
        .into_iter()
        .map(|r| CommitItem {
            short: r.sha[..12.min(r.sha.len())].to_owned(),
            url: format!("{}/commit/{}", ctx.head.url, r.sha),
            title: r.title,
            author: r.author,
            date: date(r.date),
        })
        .collect();
    let t = CommitsPage {
        l: ctx.layout(&v, "History"),
        r: ctx.head,
        rev,
        items,
        prev: (n > 0).then(|| format!("{here}?p={}", n - 1)),
        next: more.then(|| format!("{here}?p={}", n + 1)),
    };
    page(&t)
}

pub struct FileDiff {
    pub path: String,
    pub status: &'static str,
    /// (class, text) per line: `add`, `del`, `ctx` or `hunk`.
    pub lines: Vec<(&'static str, String)>,
    pub note: String,
}

#[derive(Template)]
#[template(path = "commit.html")]
struct CommitPage {
    l: Layout,
    r: Head,
    sha: String,
    title: String,
    message: String,
    author: String,
    date: String,
    parent: Option<(String, String)>,
    files: Vec<FileDiff>,
    truncated: bool,
    browse: String,
}

/// Diffs stop after this many files, or this many bytes of text compared.
const MAX_DIFF_FILES: usize = 100;
const MAX_DIFF_BYTES: u64 = 2 << 20;

pub async fn commit(
    State(state): State<AppState>,
    v: Viewer,
    uri: Uri,
    Path(p): Path<RepoPath>,
) -> Result<Response> {
    let ctx = open(&state, &v, &uri, &p, "commits").await?;
    require_content(&state, &v, &ctx).await?;
    let sha = p.sha.clone().unwrap_or_default();
    if !(4..=40).contains(&sha.len()) || !sha.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(Error::NotFound);
    }
    let id = resolve(&state, &ctx, &sha).await?;
    let row = state
        .meta
        .commit_row(ctx.repo.id, &id.hex())
        .await?
        .ok_or(Error::NotFound)?;
    let c = state.engine.commit_object(&id).await?;
    let parent = c.parents.first().copied();
    let new = state.engine.list(&id, "", true).await?;
    let old = match parent {
        Some(p) => state.engine.list(&p, "", true).await?,
        None => Arc::new(Vec::new()),
    };
    let files_of = |l: &[Entry]| -> HashMap<String, FileEntry> {
        l.iter()
            .filter_map(|e| match e {
                Entry::File(f) => Some((f.path.clone(), f.clone())),
                _ => None,
            })
            .collect()
    };
    let (a, b) = (files_of(&old), files_of(&new));
    let mut paths: Vec<&String> = a.keys().chain(b.keys()).collect();
    paths.sort();
    paths.dedup();
    let mut files = Vec::new();
    let mut budget = MAX_DIFF_BYTES;
    let mut truncated = false;
    for path in paths {
        let (before, after) = (a.get(path), b.get(path));
        if before.map(|f| f.oid) == after.map(|f| f.oid) {
            continue;
        }
        if files.len() == MAX_DIFF_FILES {
            truncated = true;
            break;
        }
        let status = match (before, after) {
            (None, _) => "added",
            (_, None) => "deleted",
            _ => "modified",
        };
        let cost = before.map_or(0, |f| f.size) + after.map_or(0, |f| f.size);
        let texts = if cost <= budget {
            budget -= cost;
            let t1 = match before {
                Some(f) => text_of(&state, f).await?,
                None => Some(String::new()),
            };
            let t2 = match after {
                Some(f) => text_of(&state, f).await?,
                None => Some(String::new()),
            };
            t1.zip(t2)
        } else {
            truncated = true;
            None
        };
        let (lines, note) = match texts {
            Some((x, y)) => (diff_lines(&x, &y), String::new()),
            None => (
                Vec::new(),
                match (
                    before.and_then(|f| f.lfs.as_ref()),
                    after.and_then(|f| f.lfs.as_ref()),
                ) {
                    (_, Some(p)) => format!("LFS file, {}", size(p.size)),
                    (Some(_), None) => "LFS file removed".to_owned(),
                    _ => "Binary or large file: no text diff".to_owned(),
                },
            ),
        };
        files.push(FileDiff {
            path: path.clone(),
            status,
            lines,
            note,
        });
    }
    let t = CommitPage {
        l: ctx.layout(&v, &row.title),
        browse: format!("{}/tree/{}", ctx.head.url, row.sha),
        parent: parent.map(|p| {
            let h = p.hex();
            (h[..12].to_owned(), format!("{}/commit/{h}", ctx.head.url))
        }),
        r: ctx.head,
        sha: row.sha,
        title: row.title,
        message: c.body().to_owned(),
        author: row.author,
        date: date(row.date),
        files,
        truncated,
    };
    page(&t)
}

/// A unified diff (3 lines of context) as classed lines.
pub fn diff_lines(old: &str, new: &str) -> Vec<(&'static str, String)> {
    let diff = similar::TextDiff::from_lines(old, new);
    let mut out = Vec::new();
    for group in diff.grouped_ops(3) {
        let (Some(first), Some(last)) = (group.first(), group.last()) else {
            continue;
        };
        let (o, n) = (first.old_range().start, first.new_range().start);
        let (oe, ne) = (last.old_range().end, last.new_range().end);
        out.push((
            "hunk",
            format!("@@ -{},{} +{},{} @@", o + 1, oe - o, n + 1, ne - n),
        ));
        for op in &group {
            for change in diff.iter_changes(op) {
                let (class, sign) = match change.tag() {
                    similar::ChangeTag::Delete => ("del", '-'),
                    similar::ChangeTag::Insert => ("add", '+'),
                    similar::ChangeTag::Equal => ("ctx", ' '),
                };
                let text = change.value().trim_end_matches(['\n', '\r']);
                out.push((class, format!("{sign}{text}")));
            }
        }
    }
    out
}

// ---- refs -------------------------------------------------------------------------------------

pub struct RefItem {
    pub name: String,
    pub tree: String,
    pub commits: String,
    pub short: String,
    pub commit_url: String,
}

#[derive(Template)]
#[template(path = "refs.html")]
struct RefsPage {
    l: Layout,
    r: Head,
    branches: Vec<RefItem>,
    tags: Vec<RefItem>,
}

pub async fn refs(
    State(state): State<AppState>,
    v: Viewer,
    uri: Uri,
    Path(p): Path<RepoPath>,
) -> Result<Response> {
    let ctx = open(&state, &v, &uri, &p, "refs").await?;
    let all = state.engine.refs(ctx.repo.id).await?;
    let item = |name: &str, target: &str| RefItem {
        tree: format!("{}/tree/{}", ctx.head.url, agora_api::quote(name)),
        commits: format!("{}/commits/{}", ctx.head.url, agora_api::quote(name)),
        short: target[..12.min(target.len())].to_owned(),
        commit_url: format!("{}/commit/{target}", ctx.head.url),
        name: name.to_owned(),
    };
    let mut branches = Vec::new();
    let mut tags = Vec::new();
    for r in &all {
        if let Some(b) = r.name.strip_prefix("refs/heads/") {
            branches.push(item(b, &r.target));
        } else if let Some(t) = r.name.strip_prefix("refs/tags/") {
            tags.push(item(t, &r.target));
        }
    }
    let t = RefsPage {
        l: ctx.layout(&v, "Branches and tags"),
        r: ctx.head,
        branches,
        tags,
    };
    page(&t)
}

#[cfg(test)]
mod tests {
    #[test]
    fn diff_marks_changed_lines_with_context() {
        let d = super::diff_lines("a\nb\nc\n", "a\nB\nc\nd\n");
        let text: Vec<String> = d.iter().map(|(c, t)| format!("{c}:{t}")).collect();
        assert_eq!(
            text,
            [
                "hunk:@@ -1,3 +1,4 @@",
                "ctx: a",
                "del:-b",
                "add:+B",
                "ctx: c",
                "add:+d"
            ]
        );
    }
}
