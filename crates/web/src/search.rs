//! Home and search: repositories by name, author, task, licence and grades, sorted by
//! downloads, likes or recency, a page at a time. The store filters private repositories out
//! in SQL (`RepoQuery::viewer`), so nothing here can list what the viewer may not read.

use agora_api::AppState;
use agora_storage::model::{GradeField, RepoQuery, RepoType, SortKey};
use askama::Template;
use axum::{
    extract::{Query, State},
    response::Response,
};
use serde::Deserialize;

use crate::{
    Result, Viewer,
    layout::{Layout, date, page, q},
    repo::repo_url,
};

#[derive(Deserialize, Default)]
pub struct Filters {
    #[serde(default)]
    pub q: String,
    #[serde(default)]
    pub author: String,
    #[serde(default)]
    pub task: String,
    #[serde(default)]
    pub license: String,
    /// Openness bucket: `open-source-ai`, `open-weights`, ...
    #[serde(default)]
    pub openness: String,
    #[serde(default)]
    pub osaid: String,
    /// Scanner summary of the head: `safe`, `unknown`, `unsafe`.
    #[serde(default)]
    pub scan: String,
    #[serde(default)]
    pub sort: String,
    #[serde(default)]
    pub p: String,
}

pub struct Item {
    pub full: String,
    pub url: String,
    pub private: bool,
    pub updated: String,
    pub downloads: i64,
    pub likes: i64,
    pub grade: String,
    pub task: String,
    pub scan: String,
}

#[derive(Template)]
#[template(path = "search.html")]
struct SearchPage {
    l: Layout,
    kind: &'static str,
    f: Filters,
    items: Vec<Item>,
    prev: Option<String>,
    next: Option<String>,
    page_no: i64,
    buckets: Vec<(&'static str, &'static str)>,
    sorts: Vec<(&'static str, &'static str)>,
}

const PER_PAGE: i64 = 20;

/// Short, printable filter values only: anything else is ignored rather than searched for.
fn clean(s: &str) -> Option<String> {
    let s = s.trim();
    (!s.is_empty() && s.len() <= 100 && !s.chars().any(char::is_control)).then(|| s.to_owned())
}

pub async fn home(state: State<AppState>, v: Viewer, f: Query<Filters>) -> Result<Response> {
    list(state, v, f, RepoType::Model).await
}

pub async fn models(state: State<AppState>, v: Viewer, f: Query<Filters>) -> Result<Response> {
    list(state, v, f, RepoType::Model).await
}

pub async fn datasets(state: State<AppState>, v: Viewer, f: Query<Filters>) -> Result<Response> {
    list(state, v, f, RepoType::Dataset).await
}

async fn list(
    State(state): State<AppState>,
    v: Viewer,
    Query(f): Query<Filters>,
    kind: RepoType,
) -> Result<Response> {
    let page_no: i64 = f.p.parse().unwrap_or(0).clamp(0, 10_000);
    let (sort, descending) = match f.sort.as_str() {
        "likes" => (SortKey::Likes, true),
        "updated" => (SortKey::LastModified, true),
        "created" => (SortKey::CreatedAt, true),
        "name" => (SortKey::Id, false),
        _ => (SortKey::Downloads, true),
    };
    let mut tags = Vec::new();
    if let Some(t) = clean(&f.task) {
        tags.push(t);
    }
    if let Some(l) = clean(&f.license) {
        tags.push(format!("license:{}", l.to_ascii_lowercase()));
    }
    let mut grades = Vec::new();
    if let Some(b) = clean(&f.openness) {
        grades.push((GradeField::Bucket, b.to_ascii_lowercase()));
    }
    if let Some(o) = clean(&f.osaid) {
        grades.push((GradeField::Osaid, o.to_ascii_lowercase()));
    }
    if let Some(s) = clean(&f.scan) {
        grades.push((GradeField::Scan, s.to_ascii_lowercase()));
    }
    let repos = state
        .meta
        .list_repos(&RepoQuery {
            kind,
            viewer: v.user.as_ref().map(|u| u.id),
            search: clean(&f.q),
            author: clean(&f.author),
            tags,
            grades,
            sort,
            descending,
            offset: page_no * PER_PAGE,
            limit: PER_PAGE + 1,
        })
        .await?;
    let more = repos.len() as i64 > PER_PAGE;
    let mut items = Vec::new();
    for r in repos.into_iter().take(PER_PAGE as usize) {
        let grade = match &r.head {
            Some(h) => state
                .meta
                .assessment(r.id, h)
                .await?
                .map(|a| a.bucket.replace('-', " "))
                .unwrap_or_default(),
            None => String::new(),
        };
        let task = r
            .card_data
            .as_deref()
            .and_then(|c| serde_json::from_str::<serde_json::Value>(c).ok())
            .and_then(|c| c["pipeline_tag"].as_str().map(str::to_owned))
            .unwrap_or_default();
        let scan = match &r.head {
            Some(h) => state.meta.scan_status(r.id, h).await?.unwrap_or_default(),
            None => String::new(),
        };
        items.push(Item {
            scan,
            url: repo_url(kind, &r.full_name()),
            full: r.full_name(),
            private: r.private,
            updated: date(r.last_modified),
            downloads: r.downloads,
            likes: r.likes,
            grade,
            task,
        });
    }
    let base = if kind == RepoType::Dataset {
        "/datasets"
    } else {
        "/models"
    };
    let link = |n: i64| {
        format!(
            "{base}?q={}&author={}&task={}&license={}&openness={}&osaid={}&scan={}&sort={}&p={n}",
            q(&f.q),
            q(&f.author),
            q(&f.task),
            q(&f.license),
            q(&f.openness),
            q(&f.osaid),
            q(&f.scan),
            q(&f.sort)
        )
    };
    let t = SearchPage {
        l: Layout::new(
            &v,
            if kind == RepoType::Dataset {
                "Datasets"
            } else {
                "Models"
            },
        ),
        kind: kind.as_str(),
        prev: (page_no > 0).then(|| link(page_no - 1)),
        next: more.then(|| link(page_no + 1)),
        page_no: page_no + 1,
        buckets: vec![
            ("", "Any"),
            ("open-source-ai", "Open source AI"),
            ("open-weights", "Open weights"),
            ("restricted-weights", "Restricted weights"),
            ("open-data", "Open data"),
            ("restricted-data", "Restricted data"),
            ("closed", "Closed"),
        ],
        sorts: vec![
            ("downloads", "Most downloads"),
            ("likes", "Most likes"),
            ("updated", "Recently updated"),
            ("created", "Newest"),
        ],
        f,
        items,
    };
    page(&t)
}
