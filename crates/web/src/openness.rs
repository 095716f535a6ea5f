//! The openness scorecard, the licence in plain words, scanner results and the lineage picture:
//! views of what `agora_api::openness` and `agora_api::scanning` stored. Nothing is graded or
//! scanned here; a page shows "not graded yet" rather than making the viewer wait.

use agora_api::AppState;
use agora_repo::{Entry, FileEntry, git::ObjectId};
use agora_storage::model::{Assessment, RepoQuery, RepoType, SortKey};
use askama::Template;
use axum::{
    extract::{Path, State},
    http::Uri,
    response::Response,
};
use serde_json::Value;

use crate::{
    Result, Viewer,
    layout::{Layout, page},
    repo::{Head, RepoPath, open, repo_url},
};

/// The grades in one line each, for the card page.
pub struct Grade {
    pub bucket: String,
    pub osaid: String,
    pub mof: String,
    pub licence_class: String,
}

pub fn grade(a: &Assessment) -> Grade {
    Grade {
        bucket: a.bucket.replace('-', " "),
        osaid: a.osaid.clone(),
        mof: a.mof_class.replace('-', " "),
        licence_class: a
            .licence_class
            .clone()
            .unwrap_or_default()
            .replace('-', " "),
    }
}

/// The licence the card declares, with what it allows in plain words (from the grading's
/// licence record when the repository was graded).
pub fn licence(report: Option<&Value>, declared: &[String]) -> Option<crate::repo::Licence> {
    let eff = report
        .map(|r| &r["licence"]["effective"])
        .filter(|e| e.is_object());
    let Some(e) = eff else {
        return declared.first().map(|id| crate::repo::Licence {
            id: id.clone(),
            name: id.clone(),
            url: None,
            summary: vec!["Not graded yet: what this licence allows will show here.".into()],
        });
    };
    let c = &e["clauses"];
    let yes = |k: &str| c[k].as_bool().unwrap_or(false);
    let mut s = Vec::new();
    match e["class"].as_str().unwrap_or("") {
        "osi_approved" | "open_data" | "public_domain" => {
            s.push("Open licence: use, study, change and share, for any purpose.".into())
        }
        "unknown" | "" => s.push("Licence not recognised: read its text before use.".into()),
        other => s.push(format!("Licence class: {}.", other.replace('_', " "))),
    }
    s.push(if yes("non_commercial") {
        "Commercial use: not allowed.".into()
    } else if yes("research_only") {
        "Research use only.".into()
    } else {
        "Commercial use: allowed.".into()
    });
    s.push(if yes("no_derivatives") {
        "Modified versions: may not be shared.".into()
    } else {
        "Modified versions: allowed.".into()
    });
    if yes("share_alike") {
        s.push("Share-alike: derived works must use the same licence.".into());
    }
    if yes("use_restrictions") {
        s.push("Use restrictions apply (an acceptable-use policy), and must be passed on.".into());
    }
    if let Some(n) = c["user_cap_mau"].as_u64() {
        s.push(format!(
            "Services with more than {n} monthly active users need a separate licence."
        ));
    }
    if yes("no_training_other_models") {
        s.push("Outputs may not be used to train other models.".into());
    }
    if yes("revocable") {
        s.push("The licensor may revoke the licence.".into());
    }
    if yes("no_patent_grant") {
        s.push("No patent licence is granted.".into());
    }
    if let Some(n) = c["naming"].as_array().filter(|a| !a.is_empty()) {
        let names: Vec<&str> = n.iter().filter_map(|x| x.as_str()).collect();
        s.push(format!("Naming requirement: {}.", names.join(", ")));
    }
    Some(crate::repo::Licence {
        id: e["key"].as_str().unwrap_or("").to_owned(),
        name: e["name"].as_str().unwrap_or("").to_owned(),
        url: e["url"]
            .as_str()
            .filter(|u| u.starts_with("https://") || u.starts_with("http://"))
            .map(str::to_owned),
        summary: s,
    })
}

/// A scanner report's findings as sentences.
pub fn findings(report: &Value) -> Vec<String> {
    report["findings"]
        .as_array()
        .map(|a| {
            a.iter()
                .take(50)
                .map(|f| {
                    let msg = f["reason"].as_str().unwrap_or("");
                    let rule = f["rule"].as_str().unwrap_or("");
                    match f["offset"].as_u64() {
                        Some(o) => format!("{msg} ({rule}, at byte {o})"),
                        None => format!("{msg} ({rule})"),
                    }
                })
                .collect()
        })
        .unwrap_or_default()
}

pub struct Requirement {
    pub title: String,
    pub met: bool,
    pub reason: String,
}

pub struct Freedom {
    pub name: String,
    pub state: String,
    pub reason: String,
}

pub struct Scorecard {
    pub bucket: String,
    pub bucket_reason: String,
    pub osaid: String,
    pub requirements: Vec<Requirement>,
    pub mof: String,
    pub mof_basis: String,
    pub unmet: Vec<String>,
    pub freedoms: Vec<Freedom>,
    pub flags: Vec<String>,
}

fn scorecard(a: &Assessment, r: &Value) -> Scorecard {
    let g = &r["grades"];
    let s = |v: &Value| v.as_str().unwrap_or("").to_owned();
    let list = |v: &Value| v.as_array().cloned().unwrap_or_default();
    Scorecard {
        bucket: a.bucket.replace('-', " "),
        bucket_reason: s(&g["bucket"]["reason"]),
        osaid: match a.osaid.as_str() {
            "pass" => "Meets the Open Source AI Definition 1.0".into(),
            "fail" => "Does not meet the Open Source AI Definition 1.0".into(),
            _ => "The Open Source AI Definition does not apply".into(),
        },
        requirements: list(&g["osaid"]["requirements"])
            .iter()
            .map(|q| Requirement {
                title: s(&q["title"]),
                met: q["met"].as_bool().unwrap_or(false),
                reason: s(&q["reason"]),
            })
            .collect(),
        mof: s(&g["mof"]["label"]),
        mof_basis: s(&g["mof"]["basis"]),
        unmet: list(&g["mof"]["unmet"]).iter().map(s).collect(),
        freedoms: list(&g["freedoms"])
            .iter()
            .map(|f| Freedom {
                name: s(&f["freedom"]),
                state: s(&f["state"]),
                reason: s(&f["reason"]),
            })
            .collect(),
        flags: list(&g["flags"])
            .iter()
            .map(|f| {
                f.as_str()
                    .map(str::to_owned)
                    .unwrap_or_else(|| s(&f["message"]))
            })
            .filter(|m| !m.is_empty())
            .collect(),
    }
}

#[derive(Template)]
#[template(path = "openness.html")]
struct OpennessPage {
    l: Layout,
    r: Head,
    card: Option<Scorecard>,
    lineage: String,
    bases: usize,
    derivatives: usize,
    badge: String,
}

/// The scorecard and the lineage graph.
pub async fn openness(
    State(state): State<AppState>,
    v: Viewer,
    uri: Uri,
    Path(p): Path<RepoPath>,
) -> Result<Response> {
    let ctx = open(&state, &v, &uri, &p, "openness").await?;
    let head = ctx.repo.head.as_deref().and_then(ObjectId::parse);
    let a = match &head {
        Some(c) => state.meta.assessment(ctx.repo.id, &c.hex()).await?,
        None => None,
    };
    let report: Option<Value> = a
        .as_ref()
        .and_then(|a| serde_json::from_str(&a.report).ok());
    let card = a
        .as_ref()
        .zip(report.as_ref())
        .map(|(a, r)| scorecard(a, r));
    // Bases as the card names them (linked when this hub holds one the viewer may read),
    // derivatives as the listing filter finds them (private ones only for those who may read).
    let mut bases = Vec::new();
    if let Some(h) = &head {
        let (meta, _) = state.engine.card(&ctx.repo, h).await?;
        let names: Vec<String> = match meta.as_ref().and_then(|m| m.get("base_model")) {
            Some(Value::String(s)) => vec![s.clone()],
            Some(Value::Array(a)) => a
                .iter()
                .filter_map(|x| x.as_str().map(str::to_owned))
                .collect(),
            _ => Vec::new(),
        };
        for id in names.into_iter().take(20) {
            let hosted = match state.meta.repo_by_name(RepoType::Model, &id).await? {
                Some(b) => {
                    agora_api::auth::access(&state, &v.caller, &b).await?
                        > agora_api::auth::Access::None
                }
                None => false,
            };
            let url = hosted.then(|| repo_url(RepoType::Model, &id));
            bases.push((id, url));
        }
    }
    let derivatives = if ctx.repo.kind == RepoType::Model {
        state
            .meta
            .list_repos(&RepoQuery {
                kind: RepoType::Model,
                viewer: v.user.as_ref().map(|u| u.id),
                search: None,
                author: None,
                tags: vec![format!("base_model:{}", ctx.repo.full_name())],
                grades: vec![],
                sort: SortKey::Downloads,
                descending: true,
                offset: 0,
                limit: 20,
            })
            .await?
            .into_iter()
            .map(|d| {
                (
                    d.full_name(),
                    Some(repo_url(RepoType::Model, &d.full_name())),
                )
            })
            .collect()
    } else {
        Vec::new()
    };
    let lineage = crate::svg::lineage(&ctx.head.full, &bases, &derivatives);
    let t = OpennessPage {
        l: ctx.layout(&v, "Openness"),
        badge: format!(
            "/api/{}s/{}/badge/openness.svg",
            ctx.repo.kind.as_str(),
            ctx.head.full
        ),
        bases: bases.len(),
        derivatives: derivatives.len(),
        r: ctx.head,
        card,
        lineage,
    };
    page(&t)
}

pub struct ScanRow {
    pub path: String,
    pub url: String,
    pub verdict: String,
    pub format: String,
    pub findings: Vec<String>,
}

#[derive(Template)]
#[template(path = "scan.html")]
struct ScanPage {
    l: Layout,
    r: Head,
    rows: Vec<ScanRow>,
    unsafe_count: usize,
    pending: usize,
    ruleset: &'static str,
}

/// Every file of the default branch with its scanner verdict.
pub async fn scan(
    State(state): State<AppState>,
    v: Viewer,
    uri: Uri,
    Path(p): Path<RepoPath>,
) -> Result<Response> {
    let ctx = open(&state, &v, &uri, &p, "scan").await?;
    let mut rows = Vec::new();
    if let Some(h) = ctx.repo.head.as_deref().and_then(ObjectId::parse) {
        let all = state.engine.list(&h, "", true).await?;
        let files: Vec<&FileEntry> = all.iter().filter_map(Entry::file).take(5_000).collect();
        let verdicts = agora_api::scanning::verdicts(&state, &files).await?;
        for f in files {
            let rec = verdicts.get(&agora_api::scanning::content_id(f));
            let report: Value = rec
                .and_then(|r| serde_json::from_str(&r.report).ok())
                .unwrap_or(Value::Null);
            rows.push(ScanRow {
                url: format!(
                    "{}/blob/main/{}",
                    ctx.head.url,
                    crate::layout::path_url(&f.path)
                ),
                path: f.path.clone(),
                verdict: rec.map(|r| r.verdict.clone()).unwrap_or_default(),
                format: report["format"].as_str().unwrap_or("").to_owned(),
                findings: findings(&report),
            });
        }
    }
    let t = ScanPage {
        l: ctx.layout(&v, "Safety scan"),
        unsafe_count: rows.iter().filter(|r| r.verdict == "unsafe").count(),
        pending: rows.iter().filter(|r| r.verdict.is_empty()).count(),
        ruleset: agora_scan::RULESET_VERSION,
        r: ctx.head,
        rows,
    };
    page(&t)
}
