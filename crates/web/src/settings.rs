//! Pages that change things: a new repository, uploading files, repository settings. Each
//! checks the CSRF token first, then goes through the same functions as the API
//! (`agora_api::repos::create_repo`, `agora_api::commit::apply`, `find_repo_for`).

use agora_api::{
    AppState,
    auth::Access,
    commit::{apply, goes_to_lfs},
    repos::{Created, create_repo, signature},
};
use agora_repo::{CommitRequest, Op, attributes::LfsRules};
use agora_storage::model::{AccountKind, Gated, RepoType};
use askama::Template;
use axum::{
    Form,
    extract::{Multipart, Path, State},
    http::Uri,
    response::Response,
};
use serde::Deserialize;

use crate::{
    Error, Result, Viewer,
    layout::{Layout, page, see_other},
    repo::{Head, RepoPath, kind_of, open, open_for, repo_url},
};

#[derive(Template)]
#[template(path = "new_repo.html")]
struct NewRepoPage {
    l: Layout,
    owners: Vec<String>,
    error: String,
    name: String,
}

async fn owners(state: &AppState, v: &Viewer) -> Result<Vec<String>> {
    let user = v.require_user()?;
    let mut out = vec![user.name.clone()];
    for m in state.meta.memberships(user.id).await? {
        if m.role >= agora_storage::model::Role::Write && m.org.kind == AccountKind::Org {
            out.push(m.org.name);
        }
    }
    Ok(out)
}

pub async fn new_form(State(state): State<AppState>, v: Viewer) -> Result<Response> {
    if v.user.is_none() {
        return Ok(see_other("/login?next=/new"));
    }
    page(&NewRepoPage {
        l: Layout::new(&v, "New repository"),
        owners: owners(&state, &v).await?,
        error: String::new(),
        name: String::new(),
    })
}

#[derive(Deserialize, Default)]
pub struct NewRepo {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    owner: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    visibility: String,
}

pub async fn create(
    State(state): State<AppState>,
    v: Viewer,
    Form(f): Form<NewRepo>,
) -> Result<Response> {
    v.check_csrf(&f.csrf)?;
    v.require_user()?;
    let name = f.name.trim();
    let fail = async |e: &str| -> Result<Response> {
        let mut res = page(&NewRepoPage {
            l: Layout::new(&v, "New repository"),
            owners: owners(&state, &v).await?,
            error: e.to_owned(),
            name: name.chars().take(100).collect(),
        })?;
        *res.status_mut() = axum::http::StatusCode::BAD_REQUEST;
        Ok(res)
    };
    if agora_repo::path::check_name(name).is_err()
        || agora_repo::path::check_name(&f.owner).is_err()
    {
        return fail("Use letters, digits, '-', '_' and '.' for the name (at most 96 characters).")
            .await;
    }
    let kind = match f.kind.as_str() {
        "dataset" => RepoType::Dataset,
        _ => RepoType::Model,
    };
    let private = f.visibility == "private";
    match create_repo(&state, &v.caller, kind, &f.owner, name, private).await {
        Ok(Created::New(r)) => Ok(see_other(&repo_url(kind, &r.full_name()))),
        Ok(Created::Exists(_)) => fail("A repository with that name exists.").await,
        Err(e) if e.code == agora_api::error::Code::Forbidden => {
            fail("You may not create repositories in that namespace.").await
        }
        Err(e) => Err(e.into()),
    }
}

// ---- upload -------------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "upload.html")]
struct UploadPage {
    l: Layout,
    r: Head,
    rev: String,
    action: String,
    error: String,
}

pub async fn upload_form(
    State(state): State<AppState>,
    v: Viewer,
    uri: Uri,
    Path(p): Path<RepoPath>,
) -> Result<Response> {
    let ctx = open(&state, &v, &uri, &p, "files").await?;
    if !ctx.head.write {
        return Err(Error::Forbidden(
            "You may not change this repository.".into(),
        ));
    }
    let rev = p.rev.clone().unwrap_or_default();
    page(&UploadPage {
        l: ctx.layout(&v, "Upload"),
        action: format!("{}/upload/{}", ctx.head.url, agora_api::quote(&rev)),
        r: ctx.head,
        rev,
        error: String::new(),
    })
}

/// Files sent through the page, up to the hub's form body limit (16 MiB in all). Each goes
/// inline or through LFS exactly as the Python client would have sent it.
pub async fn upload(
    State(state): State<AppState>,
    v: Viewer,
    uri: Uri,
    Path(p): Path<RepoPath>,
    mut form: Multipart,
) -> Result<Response> {
    let mut csrf = String::new();
    let mut folder = String::new();
    let mut summary = String::new();
    let mut files: Vec<(String, bytes::Bytes)> = Vec::new();
    let bad = |e: axum::extract::multipart::MultipartError| {
        Error::BadRequest(format!("Upload failed: {e}"))
    };
    while let Some(field) = form.next_field().await.map_err(bad)? {
        let name = field.name().unwrap_or("").to_owned();
        match name.as_str() {
            "csrf" => csrf = field.text().await.map_err(bad)?,
            "folder" => folder = field.text().await.map_err(bad)?,
            "summary" => summary = field.text().await.map_err(bad)?,
            "file" => {
                let fname = field.file_name().unwrap_or("").to_owned();
                let data = field.bytes().await.map_err(bad)?;
                if !fname.is_empty() {
                    files.push((fname, data));
                }
            }
            _ => {}
        }
        if files.len() > 100 {
            return Err(Error::BadRequest("At most 100 files at a time.".into()));
        }
    }
    v.check_csrf(&csrf)?;
    let user = v.require_user()?.clone();
    let kind = kind_of(&uri);
    let repo = open_for(
        &state,
        &v,
        &uri,
        &p,
        Access::Write,
        "You may not change this repository.",
    )
    .await?;
    let rev = p.rev.clone().unwrap_or_default();
    let url = repo_url(kind, &repo.full_name());
    if files.is_empty() {
        return Err(Error::BadRequest("Choose at least one file.".into()));
    }
    let folder = folder.trim().trim_matches('/').to_owned();
    let head = state.engine.resolve(&repo, &rev).await?.commit;
    let rules = LfsRules::parse(&String::from_utf8_lossy(
        &state
            .engine
            .small_file(&head, ".gitattributes", 1 << 20)
            .await?
            .unwrap_or_default(),
    ));
    let mut ops = Vec::new();
    for (fname, data) in files {
        // Browsers send a base name; anything path-like in it is cut to its last segment.
        let base = fname.rsplit(['/', '\\']).next().unwrap_or("").to_owned();
        let path = if folder.is_empty() {
            base
        } else {
            format!("{folder}/{base}")
        };
        agora_repo::path::check_path(&path)
            .map_err(|e| Error::BadRequest(format!("{path:?}: {e}")))?;
        let sample = &data[..data.len().min(512)];
        if goes_to_lfs(&rules, &path, data.len() as u64, sample) {
            let size = data.len() as u64;
            let oid = agora_api::lfs::store_bytes(&state, repo.id, data).await?;
            ops.push(Op::PutLfs {
                path,
                oid,
                size: Some(size),
            });
        } else {
            ops.push(Op::Put {
                path,
                content: data,
            });
        }
    }
    let summary = match summary.trim() {
        "" => format!("Upload {} file(s) through the web", ops.len()),
        s => s.chars().take(1000).collect(),
    };
    let out = apply(
        &state,
        &v.caller,
        CommitRequest {
            repo: repo.clone(),
            revision: rev.clone(),
            create_pr: false,
            parent: None,
            summary,
            description: String::new(),
            author: signature(&user),
            ops,
        },
    )
    .await?;
    Ok(see_other(&format!("{url}/commit/{}", out.commit.hex())))
}

// ---- settings -----------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "settings.html")]
struct SettingsPage {
    l: Layout,
    r: Head,
    scan_flag: bool,
    saved: bool,
    pending: Vec<crate::gating::RequestRow>,
    accepted: Vec<crate::gating::RequestRow>,
    rejected: Vec<crate::gating::RequestRow>,
}

pub async fn page_(
    state: &AppState,
    v: &Viewer,
    uri: &Uri,
    p: &RepoPath,
    saved: bool,
) -> Result<Response> {
    let ctx = open(state, v, uri, p, "settings").await?;
    if !ctx.head.admin {
        // Readers do not learn that a settings page exists beyond "not for you".
        return Err(Error::Forbidden(
            "Only admins of this repository change its settings.".into(),
        ));
    }
    let lists = if ctx.repo.gated.is_some() {
        use agora_storage::model::RequestStatus as S;
        (
            crate::gating::requests(state, &ctx.repo, S::Pending).await?,
            crate::gating::requests(state, &ctx.repo, S::Accepted).await?,
            crate::gating::requests(state, &ctx.repo, S::Rejected).await?,
        )
    } else {
        Default::default()
    };
    page(&SettingsPage {
        pending: lists.0,
        accepted: lists.1,
        rejected: lists.2,
        l: ctx.layout(v, "Settings"),
        scan_flag: ctx.repo.scan_flag_only,
        r: ctx.head,
        saved,
    })
}

pub async fn show(
    State(state): State<AppState>,
    v: Viewer,
    uri: Uri,
    Path(p): Path<RepoPath>,
) -> Result<Response> {
    let saved = uri.query().is_some_and(|q| q.contains("saved=1"));
    page_(&state, &v, &uri, &p, saved).await
}

#[derive(Deserialize, Default)]
pub struct SettingsForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    visibility: String,
    #[serde(default)]
    gated: String,
    #[serde(default)]
    scan: String,
}

pub async fn save(
    State(state): State<AppState>,
    v: Viewer,
    uri: Uri,
    Path(p): Path<RepoPath>,
    Form(f): Form<SettingsForm>,
) -> Result<Response> {
    v.check_csrf(&f.csrf)?;
    let repo = open_for(
        &state,
        &v,
        &uri,
        &p,
        Access::Admin,
        "Only admins of this repository change its settings.",
    )
    .await?;
    let private = match f.visibility.as_str() {
        "private" => true,
        "public" => false,
        _ => return Err(Error::BadRequest("Visibility is public or private.".into())),
    };
    let gated = match f.gated.as_str() {
        "" | "off" => None,
        g => Some(
            Gated::parse(g)
                .ok_or_else(|| Error::BadRequest("Gating is off, auto or manual.".into()))?,
        ),
    };
    let flag = match f.scan.as_str() {
        "flag" => true,
        "reject" | "" => false,
        _ => {
            return Err(Error::BadRequest(
                "Unsafe files are rejected or flagged.".into(),
            ));
        }
    };
    state.meta.set_private(repo.id, private).await?;
    state.meta.set_gated(repo.id, gated).await?;
    state.meta.set_scan_policy(repo.id, flag).await?;
    tracing::info!(repo = %repo.full_name(), private, ?gated, flag, "settings changed on the web");
    Ok(see_other(&format!(
        "{}/settings?saved=1",
        repo_url(repo.kind, &repo.full_name())
    )))
}
