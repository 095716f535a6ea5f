//! Openness in the hub: every commit to a default branch is graded (agora-openness), the grades
//! are stored per commit, shown in repository info, filterable in listings, and served as a
//! report, a badge, a lineage view and AI bills of materials.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex, OnceLock},
};

use agora_openness::{
    BaseReport, BomFormat, BomOptions, LicenceCatalogue, LinkedRepo, RepoSnapshot, Report,
};
use agora_repo::{Entry, git::ObjectId};
use agora_storage::model::{Assessment, GradeField, Id, Repo, RepoQuery, RepoType, SortKey};
use axum::{
    Json,
    extract::{Path, Query, State},
    http::{HeaderValue, header},
    response::{IntoResponse, Response},
};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::{
    AppState, BaseUrl,
    auth::{Caller, find_repo},
    error::{ApiError, ApiResult},
    repo_type,
};

fn catalogue() -> &'static LicenceCatalogue {
    static CAT: OnceLock<LicenceCatalogue> = OnceLock::new();
    CAT.get_or_init(LicenceCatalogue::builtin)
}

/// Reports of recent commits in typed form (for lineage checks and BOMs), and the grades
/// `model_info` shows, so the hot path reads neither the database nor a stored report.
#[derive(Default)]
pub struct Reports {
    reports: Mutex<HashMap<(Id, ObjectId), Arc<Report>>>,
    grades: Mutex<HashMap<(Id, ObjectId), Value>>,
}

fn cache_get<V: Clone>(m: &Mutex<HashMap<(Id, ObjectId), V>>, k: &(Id, ObjectId)) -> Option<V> {
    m.lock().ok()?.get(k).cloned()
}

fn cache_put<V>(m: &Mutex<HashMap<(Id, ObjectId), V>>, k: (Id, ObjectId), v: V, cap: usize) {
    if let Ok(mut m) = m.lock() {
        if m.len() >= cap {
            m.clear();
        }
        m.insert(k, v);
    }
}

fn repo_kind(kind: RepoType) -> agora_openness::RepoType {
    match kind {
        RepoType::Model => agora_openness::RepoType::Model,
        RepoType::Dataset => agora_openness::RepoType::Dataset,
    }
}

/// What a commit holds, as the assessment sees it: every file with its size and sha256 (LFS),
/// the text of the small files it reads, and the licences of datasets the card names.
async fn snapshot(state: &AppState, repo: &Repo, commit: &ObjectId) -> ApiResult<RepoSnapshot> {
    let engine = &state.engine;
    let files = engine.list(commit, "", true).await?;
    let mut out = Vec::new();
    for e in files.iter() {
        let Entry::File(f) = e else { continue };
        let text = if f.lfs.is_none()
            && f.size <= agora_openness::fs::MAX_TEXT
            && agora_openness::fs::wants_text(&f.path)
        {
            let bytes = engine.object(&f.oid).await?;
            Some(String::from_utf8_lossy(&bytes).into_owned())
        } else {
            None
        };
        out.push(agora_openness::FileEntry {
            path: f.path.clone(),
            size: f.size,
            text,
            sha256: f.lfs.as_ref().map(|p| p.oid.clone()),
        });
    }
    let c = engine.commit_object(commit).await?;
    let (card, _) = engine.card(repo, commit).await?;
    let mut linked = Vec::new();
    let datasets = card
        .as_ref()
        .and_then(|c| c.get("datasets"))
        .map(strings)
        .unwrap_or_default();
    for id in datasets.iter().take(50) {
        if let Some(d) = state
            .meta
            .repo_by_name(RepoType::Dataset, id)
            .await?
            .filter(|d| !d.private)
        {
            let license = d
                .card_data
                .as_deref()
                .and_then(|c| serde_json::from_str::<Value>(c).ok())
                .and_then(|c| c.get("license").and_then(|l| l.as_str().map(str::to_owned)));
            linked.push(LinkedRepo {
                id: d.full_name(),
                repo_type: agora_openness::RepoType::Dataset,
                license,
            });
        }
    }
    Ok(RepoSnapshot {
        repo_id: repo.full_name(),
        repo_type: repo_kind(repo.kind),
        revision: Some(commit.hex()),
        // SPDX 3 dates have whole seconds (`YYYY-MM-DDThh:mm:ssZ`), as commit times do.
        created: Some(agora_storage::format_secs(c.committer.seconds)),
        files: out,
        readme: None,
        linked,
    })
}

fn strings(v: &Value) -> Vec<String> {
    match v {
        Value::String(s) => vec![s.clone()],
        Value::Array(a) => a
            .iter()
            .filter_map(|x| x.as_str().map(str::to_owned))
            .collect(),
        _ => Vec::new(),
    }
}

async fn report(
    state: &AppState,
    repo: &Repo,
    commit: &ObjectId,
) -> ApiResult<(Arc<Report>, RepoSnapshot)> {
    let snap = snapshot(state, repo, commit).await?;
    let r = match cache_get(&state.reports.reports, &(repo.id, *commit)) {
        Some(r) => r,
        None => {
            let snap2 = snap.clone();
            let r =
                tokio::task::spawn_blocking(move || agora_openness::assess(&snap2, catalogue()))
                    .await
                    .map_err(ApiError::internal)?;
            let r = Arc::new(r);
            cache_put(&state.reports.reports, (repo.id, *commit), r.clone(), 2_000);
            r
        }
    };
    Ok((r, snap))
}

/// Grades a commit (once) and stores the result, lineage included.
pub async fn assess(state: &AppState, repo: &Repo, commit: &ObjectId) -> ApiResult<Assessment> {
    if let Some(a) = state.meta.assessment(repo.id, &commit.hex()).await?
        && a.rules == agora_openness::RULES_VERSION
    {
        return Ok(a);
    }
    let (report, _) = report(state, repo, commit).await?;
    let mut full = serde_json::to_value(&*report).map_err(ApiError::internal)?;
    if repo.kind == RepoType::Model && !report.card.base_model.is_empty() {
        full["lineage"] = lineage_check(state, &report).await?;
    }
    let grades = &full["grades"];
    let a = Assessment {
        repo_id: repo.id,
        commit: commit.hex(),
        bucket: grades["bucket"]["bucket"]
            .as_str()
            .unwrap_or("closed")
            .replace('_', "-"),
        osaid: match grades["osaid"]["pass"].as_bool() {
            Some(true) => "pass".into(),
            Some(false) => "fail".into(),
            None => "n/a".into(),
        },
        mof_class: match grades["mof"]["class"].as_u64() {
            Some(0) => "unclassified".into(),
            Some(1) => "class-i".into(),
            Some(2) => "class-ii".into(),
            Some(3) => "class-iii".into(),
            _ => "n/a".into(),
        },
        licence: full["licence"]["effective"]["key"]
            .as_str()
            .map(str::to_owned),
        licence_class: full["licence"]["effective"]["class"]
            .as_str()
            .map(|c| c.replace('_', "-")),
        rules: agora_openness::RULES_VERSION.to_owned(),
        report: full.to_string(),
    };
    state.meta.put_assessment(&a).await?;
    Ok(a)
}

/// The derivative checked against the bases the hub holds (public ones only).
async fn lineage_check(state: &AppState, child: &Report) -> ApiResult<Value> {
    let mut bases = Vec::new();
    for id in child.card.base_model.iter().take(20) {
        let Some(base) = state
            .meta
            .repo_by_name(RepoType::Model, id)
            .await?
            .filter(|b| !b.private)
        else {
            continue;
        };
        let Some(head) = base.head.as_deref().and_then(ObjectId::parse) else {
            continue;
        };
        let (r, _) = Box::pin(report(state, &base, &head)).await?;
        bases.push((id.clone(), r));
    }
    let refs: Vec<BaseReport<'_>> = bases
        .iter()
        .map(|(id, r)| BaseReport { id, report: r })
        .collect();
    serde_json::to_value(agora_openness::check_derivative(child, &refs)).map_err(ApiError::internal)
}

/// Grades in the shape `model_info` carries them.
pub async fn summary(state: &AppState, repo: &Repo, commit: &ObjectId) -> ApiResult<Value> {
    let key = (repo.id, *commit);
    if let Some(v) = cache_get(&state.reports.grades, &key) {
        return Ok(v);
    }
    let a = assess(state, repo, commit).await?;
    let v = json!({"bucket": a.bucket, "osaid": a.osaid, "mofClass": a.mof_class, "licence": a.licence, "licenceClass": a.licence_class});
    cache_put(&state.reports.grades, key, v.clone(), 100_000);
    Ok(v)
}

/// Regrades, in the background, the default-branch heads graded under other rules; started with
/// the server, so a new catalogue or grading rule reaches every repository.
pub async fn regrade_stale(state: AppState) {
    let mut after = 0;
    let mut done = 0u64;
    loop {
        let batch = match state
            .meta
            .stale_assessments(agora_openness::RULES_VERSION, after, 100)
            .await
        {
            Ok(b) => b,
            Err(e) => {
                tracing::warn!(error = %e, "regrade stopped");
                return;
            }
        };
        let Some(&last) = batch.last() else { break };
        after = last;
        for id in batch {
            let Ok(Some(repo)) = state.meta.repo(id).await else {
                continue;
            };
            let Some(head) = repo.head.as_deref().and_then(ObjectId::parse) else {
                continue;
            };
            match assess(&state, &repo, &head).await {
                Ok(_) => done += 1,
                Err(e) => {
                    tracing::warn!(repo = %repo.full_name(), error = %e.message, "regrade failed")
                }
            }
        }
    }
    if done > 0 {
        tracing::info!(
            repos = done,
            rules = agora_openness::RULES_VERSION,
            "regraded repositories graded under older rules"
        );
    }
}

/// Assesses after a commit lands, off the request path.
pub fn assess_later(state: AppState, repo: Repo, commit: ObjectId) {
    tokio::spawn(async move {
        if let Err(e) = assess(&state, &repo, &commit).await {
            tracing::warn!(repo = %repo.full_name(), %commit, error = %e.message, "openness assessment failed");
        }
    });
}

/// Listing filters over grades: `openness:<bucket>`, `osaid:pass|fail`, `mof:<class>`,
/// `licence-class:<class>` (or `license-class:`).
pub fn grade_filter(f: &str) -> Option<(GradeField, String)> {
    let (k, v) = f.split_once(':')?;
    let field = match k {
        "openness" => GradeField::Bucket,
        "osaid" => GradeField::Osaid,
        "mof" => GradeField::MofClass,
        "licence-class" | "license-class" => GradeField::LicenceClass,
        "scan" => GradeField::Scan,
        _ => return None,
    };
    Some((field, v.to_ascii_lowercase()))
}

type RepoPath = Path<(String, String, String)>;
type RepoRevPath = Path<(String, String, String, String)>;

async fn resolve(
    state: &AppState,
    caller: &Caller,
    kind: &str,
    ns: &str,
    name: &str,
    rev: &str,
) -> ApiResult<(Repo, ObjectId)> {
    let (repo, _) = find_repo(state, caller, repo_type(kind)?, ns, name).await?;
    let commit = state.engine.resolve(&repo, rev).await?.commit;
    Ok((repo, commit))
}

pub async fn report_head(
    state: State<AppState>,
    caller: Caller,
    Path((kind, ns, name)): RepoPath,
) -> ApiResult<Response> {
    report_at(
        state,
        caller,
        Path((kind, ns, name, agora_repo::DEFAULT_BRANCH.to_owned())),
    )
    .await
}

pub async fn report_at(
    State(state): State<AppState>,
    caller: Caller,
    Path((kind, ns, name, rev)): RepoRevPath,
) -> ApiResult<Response> {
    let (repo, commit) = resolve(&state, &caller, &kind, &ns, &name, &rev).await?;
    let a = assess(&state, &repo, &commit).await?;
    let mut res = a.report.into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    Ok(res)
}

/// A small SVG badge: the plain bucket, coloured from open (green) to closed (grey).
pub async fn badge(
    State(state): State<AppState>,
    caller: Caller,
    Path((kind, ns, name)): RepoPath,
) -> ApiResult<Response> {
    let (repo, commit) = resolve(
        &state,
        &caller,
        &kind,
        &ns,
        &name,
        agora_repo::DEFAULT_BRANCH,
    )
    .await?;
    let a = assess(&state, &repo, &commit).await?;
    let (label, colour) = match a.bucket.as_str() {
        "open-source-ai" => ("open source AI", "#2e7d32"),
        "open-weights" => ("open weights", "#558b2f"),
        "open-data" => ("open data", "#558b2f"),
        "restricted-weights" => ("restricted weights", "#ef6c00"),
        "restricted-data" => ("restricted data", "#ef6c00"),
        _ => ("closed", "#616161"),
    };
    let left = "openness";
    let (lw, rw) = (8 + left.len() * 7, 10 + label.len() * 7);
    let w = lw + rw;
    let svg = format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="20" role="img" aria-label="{left}: {label}"><title>{left}: {label}</title><rect width="{lw}" height="20" fill="#555"/><rect x="{lw}" width="{rw}" height="20" fill="{colour}"/><g fill="#fff" font-family="Verdana,DejaVu Sans,sans-serif" font-size="11"><text x="4" y="14">{left}</text><text x="{tx}" y="14">{label}</text></g></svg>"##,
        tx = lw + 5
    );
    let mut res = svg.into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("image/svg+xml"),
    );
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    Ok(res)
}

#[derive(Deserialize)]
pub struct BomQuery {
    format: Option<String>,
}

pub async fn bom(
    State(state): State<AppState>,
    caller: Caller,
    BaseUrl(base): BaseUrl,
    Path((kind, ns, name, rev)): RepoRevPath,
    Query(q): Query<BomQuery>,
) -> ApiResult<Json<Value>> {
    let format: BomFormat = q
        .format
        .as_deref()
        .unwrap_or("cyclonedx")
        .parse()
        .map_err(|_| ApiError::bad_request("format must be cyclonedx or spdx"))?;
    let (repo, commit) = resolve(&state, &caller, &kind, &ns, &name, &rev).await?;
    let (report, snap) = report(&state, &repo, &commit).await?;
    let opts = BomOptions {
        base_url: Some(base),
        ..BomOptions::default()
    };
    Ok(Json(match format {
        BomFormat::CycloneDx => agora_openness::cyclonedx(&snap, &report, &opts),
        BomFormat::Spdx => agora_openness::spdx3(&snap, &report, &opts),
    }))
}

/// Base models (as the card names them, with what the hub knows of each) and the derivatives
/// that name this model as their base, visible to the caller.
pub async fn lineage(
    State(state): State<AppState>,
    caller: Caller,
    Path((kind, ns, name)): RepoPath,
) -> ApiResult<Json<Value>> {
    let (repo, commit) = resolve(
        &state,
        &caller,
        &kind,
        &ns,
        &name,
        agora_repo::DEFAULT_BRANCH,
    )
    .await?;
    let a = assess(&state, &repo, &commit).await?;
    let full: Value = serde_json::from_str(&a.report).map_err(ApiError::internal)?;
    let mut bases = Vec::new();
    for id in full["card"]["base_model"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .filter_map(|v| v.as_str())
    {
        let hosted = match state.meta.repo_by_name(RepoType::Model, id).await? {
            Some(b)
                if crate::auth::access(&state, &caller, &b).await? > crate::auth::Access::None =>
            {
                Some(b)
            }
            _ => None,
        };
        bases.push(json!({"id": id, "hosted": hosted.is_some()}));
    }
    let derivatives = state
        .meta
        .list_repos(&RepoQuery {
            kind: RepoType::Model,
            viewer: caller.viewer(),
            search: None,
            author: None,
            tags: vec![format!("base_model:{}", repo.full_name())],
            grades: vec![],
            sort: SortKey::LastModified,
            descending: true,
            offset: 0,
            limit: 1000,
        })
        .await?;
    Ok(Json(json!({
        "id": repo.full_name(),
        "baseModels": bases,
        "derivatives": derivatives.iter().map(|d| d.full_name()).collect::<Vec<_>>(),
        "check": full.get("lineage").cloned().unwrap_or(Value::Null),
    })))
}
