//! Gated repositories on the web: the access request form on the card page (the card's
//! `extra_gated_*` fields), and the review of requests in the repository's settings. Decisions
//! go through `agora_api::gating` (`request`, `set_status`, `grant_to`), like the API's.

use agora_api::{
    AppState,
    auth::Access,
    gating::{self, FieldKind, Form},
};
use agora_storage::model::{Repo, RequestStatus};
use axum::{
    extract::{Path, State},
    http::Uri,
    response::Response,
};
use serde_json::{Map, Value};

use crate::{
    Error, Result, Viewer,
    layout::{date, see_other},
    repo::{RepoPath, open_for, repo_url},
};

/// One field of the request form, ready for the template.
pub struct FieldView {
    /// `field-<n>`: the form key (labels are free text).
    pub key: String,
    pub label: String,
    /// `text`, `checkbox`, `date`, `country` or `select`.
    pub kind: &'static str,
    pub options: Vec<(String, String)>,
}

/// What the card page shows a viewer of a gated repository they may not read yet.
pub struct Gate {
    pub mode: &'static str,
    pub heading: String,
    pub prompt: String,
    pub button: String,
    pub fields: Vec<FieldView>,
    /// `pending`, `accepted`, `rejected`, or empty (no request yet).
    pub status: String,
    pub reason: String,
    pub signed_in: bool,
    pub action: String,
}

fn fields_of(form: &Form) -> Vec<FieldView> {
    form.fields
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let (kind, options) = match &f.kind {
                FieldKind::Checkbox => ("checkbox", Vec::new()),
                FieldKind::Country => ("country", Vec::new()),
                FieldKind::Date => ("date", Vec::new()),
                FieldKind::Select(o) => ("select", o.clone()),
                FieldKind::Text => ("text", Vec::new()),
            };
            FieldView {
                key: format!("field-{i}"),
                label: f.label.clone(),
                kind,
                options,
            }
        })
        .collect()
}

/// The gate for the card page: `None` when the viewer may read the files.
pub async fn gate(state: &AppState, v: &Viewer, repo: &Repo) -> Result<Option<Gate>> {
    let Some(mode) = repo.gated else {
        return Ok(None);
    };
    if gating::may_read_content(state, &v.caller, repo).await? {
        return Ok(None);
    }
    let form = Form::of(repo);
    let mine = match &v.user {
        Some(u) => state.meta.access_request(repo.id, u.id).await?,
        None => None,
    };
    Ok(Some(Gate {
        mode: mode.as_str(),
        heading: form.heading.clone().unwrap_or_else(|| {
            format!(
                "You need to agree to share your contact information to access {}",
                repo.full_name()
            )
        }),
        prompt: form.prompt.clone().unwrap_or_default(),
        button: form
            .button
            .clone()
            .unwrap_or_else(|| "Agree and ask for access".into()),
        fields: fields_of(&form),
        status: mine
            .as_ref()
            .map(|r| r.status.as_str().to_owned())
            .unwrap_or_default(),
        reason: mine.and_then(|r| r.reason).unwrap_or_default(),
        signed_in: v.user.is_some(),
        action: format!("{}/ask-access", repo_url(repo.kind, &repo.full_name())),
    }))
}

/// `POST {repo}/ask-access`: the form's answers, as `field-<n>` keys.
pub async fn ask(
    State(state): State<AppState>,
    v: Viewer,
    uri: Uri,
    Path(p): Path<RepoPath>,
    axum::extract::RawForm(body): axum::extract::RawForm,
) -> Result<Response> {
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(&body)
        .into_owned()
        .take(200)
        .collect();
    let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    v.check_csrf(get("csrf").unwrap_or(""))?;
    let user = v.require_user()?.clone();
    let repo = open_for(&state, &v, &uri, &p, Access::Read, "")
        .await
        .map_err(|_| Error::NotFound)?;
    let form = Form::of(&repo);
    let mut answers = Map::new();
    for (i, f) in form.fields.iter().enumerate() {
        match (get(&format!("field-{i}")), &f.kind) {
            (Some(a), _) => {
                answers.insert(f.label.clone(), Value::String(a.to_owned()));
            }
            // An unticked box is not sent: the API's check names it.
            (None, FieldKind::Checkbox) => {
                answers.insert(f.label.clone(), Value::Bool(false));
            }
            (None, _) => {}
        }
    }
    let accept = get("accept") == Some("on");
    gating::request(&state, &v.caller, &repo, &user, &answers, accept).await?;
    Ok(see_other(&repo_url(repo.kind, &repo.full_name())))
}

pub struct RequestRow {
    pub user: String,
    pub email: String,
    pub answers: Vec<(String, String)>,
    pub when: String,
    pub reason: String,
}

/// The requests of a repository in one state, for the settings page.
pub async fn requests(
    state: &AppState,
    repo: &Repo,
    status: RequestStatus,
) -> Result<Vec<RequestRow>> {
    let rows = state.meta.access_requests(repo.id, status, 0, 200).await?;
    Ok(rows
        .into_iter()
        .map(|(r, u)| {
            let answers = r
                .fields
                .as_deref()
                .and_then(|f| serde_json::from_str::<Map<String, Value>>(f).ok())
                .map(|m| {
                    m.into_iter()
                        .map(|(k, v)| {
                            let v = match v {
                                Value::String(s) => s,
                                other => other.to_string(),
                            };
                            (k, v)
                        })
                        .collect()
                })
                .unwrap_or_default();
            RequestRow {
                // Contact details only from those who filled in the form.
                email: if r.fields.is_some() {
                    u.email.clone().unwrap_or_default()
                } else {
                    String::new()
                },
                user: u.name,
                answers,
                when: date(r.updated_at),
                reason: r.reason.unwrap_or_default(),
            }
        })
        .collect())
}

/// `POST {repo}/access-requests`: accept, reject or put back a request, or grant a user.
pub async fn review(
    State(state): State<AppState>,
    v: Viewer,
    uri: Uri,
    Path(p): Path<RepoPath>,
    axum::Form(f): axum::Form<ReviewForm>,
) -> Result<Response> {
    v.check_csrf(&f.csrf)?;
    let repo = open_for(
        &state,
        &v,
        &uri,
        &p,
        Access::Write,
        "Only writers of this repository review access requests.",
    )
    .await?;
    gating::require_gated(&repo)?;
    let user = gating::user_named(&state, f.user.trim()).await?;
    if f.action == "grant" {
        gating::grant_to(&state, &v.caller, &repo, &user).await?;
    } else {
        let to = RequestStatus::parse(&f.action)
            .ok_or_else(|| Error::BadRequest("Accept, reject or pending.".into()))?;
        let req = state
            .meta
            .access_request(repo.id, user.id)
            .await?
            .ok_or(Error::NotFound)?;
        let reason = (to == RequestStatus::Rejected)
            .then(|| {
                f.reason
                    .trim()
                    .chars()
                    .take(gating::MAX_REASON_CHARS)
                    .collect::<String>()
            })
            .filter(|r| !r.is_empty());
        gating::set_status(&state, &v.caller, &repo, &req, &user, to, reason).await?;
    }
    Ok(see_other(&format!(
        "{}/settings#access",
        repo_url(repo.kind, &repo.full_name())
    )))
}

#[derive(serde::Deserialize, Default)]
pub struct ReviewForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    user: String,
    /// `accepted`, `rejected`, `pending` or `grant`.
    #[serde(default)]
    action: String,
    #[serde(default)]
    reason: String,
}
